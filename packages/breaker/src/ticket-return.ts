import type { EventEmitter } from 'node:events';
import type CircuitBreaker from 'opossum';
import { callTimeoutMs } from './circuit-options.js';
import { OpossumUnsupportedError } from './errors.js';

/** The outcomes of calls opossum settles without sending them: the ticket run() took comes back here. */
const UNSENT = ['reject', 'cacheHit', 'coalesceCacheHit'] as const;

/**
 * opossum 9's per-breaker semaphore (lib/semaphore.js, `breaker.semaphore`): `call()` asks `test()`
 * before it sends a call and calls `release()` exactly once after, whether the call resolved, rejected
 * or threw, and at a timeout.
 */
interface Semaphore {
  test(): boolean;
  release(): void;
}

// opossum itself wraps any other plain value: only undefined and null (no `.then` to read) need it.
const callDirect = (fn: () => unknown): unknown => {
  const value = fn();
  return value ?? Promise.resolve(value);
};

// `fn`'s outcome as a promise, a synchronous throw included.
const settleOf = (fn: () => unknown): Promise<unknown> => {
  try {
    const value = fn();
    return typeof (value as Promise<unknown> | undefined)?.then === 'function' ? (value as Promise<unknown>) : Promise.resolve(value);
  } catch (error) {
    return Promise.reject(error);
  }
};

/**
 * Gives a run()'s ticket back once its call is over:
 * - without opossum's timeout, through opossum's own semaphore: the host ticket run() took is what
 *   `test()` hands opossum, and opossum's `release()` gives it back (as Semian's bulkhead is the
 *   semaphore), at no cost of a promise of ours;
 * - with a timeout, or with the breaker disabled, when `fn` itself settles: opossum releases its
 *   semaphore at a timeout while the dependency is still busy, and a disabled breaker has none;
 * - for a call opossum settles without sending it, on its outcome event.
 */
export class TicketReturn {
  /** The action to build the breaker with. */
  readonly action: (fn: () => unknown) => Promise<unknown>;
  /** True when the ticket is opossum's semaphore; false when it comes back as `fn` settles. */
  readonly #semaphore: boolean;
  readonly #enabled: boolean;
  readonly #capacity: boolean;

  constructor(
    options: CircuitBreaker.Options,
    private readonly release: () => void,
  ) {
    this.#enabled = options.enabled !== false;
    this.#semaphore = this.#enabled && callTimeoutMs(options) === 0;
    this.#capacity = options.capacity !== undefined;
    this.action = this.#semaphore ? (callDirect as (fn: () => unknown) => Promise<unknown>) : (fn) => this.#call(fn);
  }

  listen(breaker: EventEmitter & { semaphore?: Semaphore }): void {
    if (!this.#enabled) return;
    for (const outcome of UNSENT) breaker.on(outcome, this.release);
    if (this.#semaphore) breaker.semaphore = this.#asSemaphore(breaker.semaphore);
    // opossum's own semaphore refused the call (its `capacity`): `fn` never runs.
    else breaker.on('semaphoreLocked', this.release);
  }

  /** The host ticket as opossum's semaphore; opossum's own one still counts a `capacity` given. */
  #asSemaphore(own: Semaphore | undefined): Semaphore {
    if (typeof own?.test !== 'function' || typeof own.release !== 'function') throw new OpossumUnsupportedError();
    const release = this.release;
    if (!this.#capacity) return { test: () => true, release };
    return {
      test() {
        if (own.test()) return true;
        release(); // opossum refuses the call with ESEMLOCKED and will not release
        return false;
      },
      release() {
        own.release();
        release();
      },
    };
  }

  #call(fn: () => unknown): Promise<unknown> {
    const settled = settleOf(fn);
    settled.then(this.release, this.release);
    return settled;
  }
}
