import { Cleanup } from './cleanup.js';
import { GuardEmitter, surfaceLater } from './events.js';

/**
 * What every guard returns. `close()` undoes everything the guard added (listeners, timers,
 * patches, workers); it is idempotent and awaitable: the synchronous part (every listener removed,
 * every timer cleared) is done before it returns, and the promise settles once the rest (a worker's
 * exit, a lease handed back) is released. `using` runs the same close.
 */
export interface Guard extends Disposable, AsyncDisposable {
  close(): Promise<void>;
}

/**
 * The base of every guard handle: a {@link GuardEmitter} with the one close shape. A guard records
 * what it adds on `this.cleanup` and, if it has asynchronous teardown, overrides `teardown()`
 * (calling `super.teardown()` first). `close()`, `[Symbol.dispose]` and `[Symbol.asyncDispose]`
 * are written here once.
 */
export abstract class GuardHandle<Events extends { [K in keyof Events]: object } = Record<never, object>>
  extends GuardEmitter<Events>
  implements Guard
{
  /** Every listener, timer and task the guard adds; run once by `close()`. */
  protected readonly cleanup = new Cleanup();
  #closing: Promise<void> | undefined;

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Undoes everything the guard added. Idempotent: every call returns the same promise. */
  close(): Promise<void> {
    this.#closing ??= settle(() => this.teardown());
    return this.#closing;
  }

  /** Runs the cleanup; a guard with asynchronous teardown extends it. Called once. */
  protected teardown(): void | Promise<void> {
    this.cleanup.run();
  }

  /** `using guard = ...`: closes; a failure of the asynchronous part surfaces on the next tick. */
  [Symbol.dispose](): void {
    this.close().catch(surfaceLater);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Runs `fn` now and returns its outcome as a promise, a synchronous throw included. */
function settle(fn: () => void | Promise<void>): Promise<void> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * For a guard that is only an undo (a patch, a subscription): the close shape around `undo`.
 * `closeWith(() => unpatch())` returns a {@link Guard}.
 */
export function closeWith(undo: () => void | Promise<void>): Guard {
  return new (class extends GuardHandle {
    protected override teardown() {
      super.teardown();
      return undo();
    }
  })('bulwark');
}
