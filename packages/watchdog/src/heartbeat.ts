import { unrefInterval } from '@bulwark/core';

/** The main thread's heartbeat: a timestamp in shared memory, written from an unref'd timer. */
export class Heartbeat {
  readonly buffer = new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT);
  readonly #time = new BigInt64Array(this.buffer);
  readonly #timer: NodeJS.Timeout;

  constructor(intervalMs: number) {
    this.#beat();
    this.#timer = unrefInterval(() => this.#beat(), intervalMs);
  }

  #beat(): void {
    Atomics.store(this.#time, 0, BigInt(Date.now()));
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/** Reads the heartbeat's age from any thread. */
export function heartbeatAge(buffer: SharedArrayBuffer): number {
  return Date.now() - Number(Atomics.load(new BigInt64Array(buffer), 0));
}
