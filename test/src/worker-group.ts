import type { NodeChild } from './processes.js';

/**
 * Worker processes driven over IPC (a `{ cmd }` message, answered by a message carrying a key),
 * measured by a shared-memory counter whose word 0 is the holders now and word 1 the most holders
 * seen: what the breaker's hosts and the fleet's simulated hosts have in common.
 */
export abstract class WorkerGroup {
  abstract readonly workers: NodeChild[];
  abstract readonly counter: Int32Array;

  /** Sends `cmd` and resolves with the next reply that has `key`. */
  async ask<T>(worker: NodeChild, cmd: object, key: string, timeoutMs = 20_000): Promise<T> {
    const before = worker.messages.length;
    worker.send(cmd);
    const reply = await worker.message((m: Record<string, unknown>) => worker.messages.indexOf(m) >= before && key in m, timeoutMs);
    return (reply as Record<string, T>)[key]!;
  }

  start(workers = this.workers): Promise<unknown[]> {
    return Promise.all(workers.map((w) => this.ask(w, { cmd: 'start' }, 'started')));
  }

  stop(workers = this.workers.filter((w) => w.running)): Promise<unknown[]> {
    return Promise.all(workers.map((w) => this.ask(w, { cmd: 'stop' }, 'stopped')));
  }

  /** Forgets the most holders seen so far: the next measure starts from the holders now. */
  resetMax(): void {
    Atomics.store(this.counter, 1, Atomics.load(this.counter, 0));
  }

  /** Events of `name` a worker reported. */
  events<T = Record<string, unknown>>(worker: NodeChild, name: string): T[] {
    return worker.messages.filter((m) => (m as { event?: string }).event === name) as T[];
  }

  /** The errors the workers reported. */
  errors(): string[] {
    return this.workers.flatMap((w) =>
      w.messages.filter((m) => (m as { error?: string }).error).map((m) => (m as { error: string }).error),
    );
  }
}
