import type { EventEmitter } from 'node:events';

type Listener = (...args: never[]) => void;

/**
 * Records every listener, timer and resource a guard adds, and undoes them all, once, in reverse
 * order. A guard's `close()` is `cleanup.run()`.
 */
export class Cleanup {
  #tasks: Array<() => void> = [];
  #done = false;

  get done(): boolean {
    return this.#done;
  }

  /** Adds `listener` to `target` now and removes it on `run()`. */
  listen(target: EventEmitter | NodeJS.Process, event: string | symbol, listener: Listener): void {
    (target as EventEmitter).on(event, listener as never);
    this.defer(() => (target as EventEmitter).removeListener(event, listener as never));
  }

  /** Clears `timer` on `run()`. */
  timer(timer: NodeJS.Timeout): NodeJS.Timeout {
    this.defer(() => clearTimeout(timer));
    return timer;
  }

  /** Runs `task` on `run()`; tasks run last-added first. */
  defer(task: () => void): void {
    if (this.#done) task();
    else this.#tasks.push(task);
  }

  /** Runs every task once. Later calls do nothing. Errors are collected and thrown together. */
  run(): void {
    if (this.#done) return;
    this.#done = true;
    const errors: unknown[] = [];
    for (const task of this.#tasks.reverse()) {
      try {
        task();
      } catch (error) {
        errors.push(error);
      }
    }
    this.#tasks = [];
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, 'several cleanup tasks failed');
  }
}
