import { setTimeout as sleep } from 'node:timers/promises';

/** A timer that never holds the process open. Reschedule it with `.refresh()`. */
export function unrefTimeout(callback: () => void, ms: number): NodeJS.Timeout {
  return setTimeout(callback, ms).unref();
}

/** An interval that never holds the process open. */
export function unrefInterval(callback: () => void, ms: number): NodeJS.Timeout {
  return setInterval(callback, ms).unref();
}

/**
 * Resolves after `ms`. A delay that backs a caller's pending promise stays ref'd (the default);
 * pass `ref: false` for background waits.
 */
export function delay(ms: number, options: { signal?: AbortSignal; ref?: boolean } = {}): Promise<void> {
  return sleep(ms, undefined, options);
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread for `ms`: only for sync APIs whose caller chose to block, and brief waits. */
export function sleepSync(ms: number): void {
  if (ms > 0) Atomics.wait(sleeper, 0, 0, ms);
}
