import type { EventEmitter } from 'node:events';
import type CircuitBreaker from 'opossum';

/** The outcomes of calls opossum settles without asking its semaphore: the ticket run() took comes back here. */
const UNSENT = ['reject', 'cacheHit', 'coalesceCacheHit'] as const;
/** What opossum emits once per settled call (a timeout is followed by one of these too). */
const OUTCOMES = ['success', 'failure', ...UNSENT] as const;

/** Carries a call's promise to opossum's 'timeout' event, which only gives the call's arguments. */
export interface Token {
  promise: Promise<unknown> | undefined;
}

/**
 * opossum 9's per-breaker semaphore (lib/semaphore.js, `breaker.semaphore`): `call()` asks `test()`
 * before it sends a call and calls `release()` exactly once after, whether the call resolved, rejected
 * or threw, and at a timeout.
 */
interface Semaphore {
  test(): boolean;
  release(): void;
}

// opossum reads `.then` of the action's result: a plain value must become a promise.
const callPlain = (fn: () => unknown): Promise<unknown> => {
  const value = fn();
  return typeof (value as Promise<unknown> | undefined)?.then === 'function' ? (value as Promise<unknown>) : Promise.resolve(value);
};

// opossum itself wraps any other plain value: only undefined and null (no `.then` to read) need it.
const callDirect = (fn: () => unknown): unknown => {
  const value = fn();
  return value ?? Promise.resolve(value);
};

/**
 * Gives a run()'s ticket back once its call is over, at no cost of a promise of ours:
 * - without opossum's timeout, through opossum's own semaphore: the host ticket run() took is what
 *   `test()` hands opossum, and opossum's `release()` gives it back (as Semian's bulkhead is the
 *   semaphore); a call opossum settles without sending gives it back on its outcome event;
 * - with a timeout, on opossum's outcome events, except for a call opossum timed out: its ticket
 *   comes back when `fn` itself settles, since the dependency is still busy;
 * - for a disabled breaker (no events, no semaphore), on `fn`'s promise.
 */
export class TicketReturn {
  /** The action to build the breaker with. */
  readonly action: (fn: () => unknown, token?: Token) => Promise<unknown>;
  /** Outcomes to ignore: the one opossum reports right after a timeout, whose ticket waits for `fn`. */
  #skip = 0;
  readonly #timeouts: boolean;
  readonly #enabled: boolean;
  readonly #capacity: boolean;

  constructor(
    options: CircuitBreaker.Options,
    private readonly release: () => void,
  ) {
    this.#timeouts = options.timeout !== false && options.timeout !== 0; // opossum's default is 10 s
    this.#enabled = options.enabled !== false;
    this.#capacity = options.capacity !== undefined;
    this.action = this.#timeouts || !this.#enabled ? (fn, token) => this.#call(fn, token) : (callDirect as (fn: () => unknown) => Promise<unknown>);
  }

  listen(breaker: EventEmitter & { semaphore?: Semaphore }): void {
    if (!this.#enabled) return;
    if (!this.#timeouts) {
      breaker.semaphore = this.#semaphore(breaker.semaphore);
      for (const outcome of UNSENT) breaker.on(outcome, this.release);
      return;
    }
    for (const outcome of OUTCOMES) breaker.on(outcome, () => this.#settled());
    breaker.on('timeout', (_error: unknown, _latency: unknown, args: unknown[]) => this.#timedOut(args[1] as Token | undefined));
  }

  fire(breaker: CircuitBreaker<[() => unknown, Token?], unknown>, fn: () => unknown): Promise<unknown> {
    return this.#timeouts ? breaker.fire(fn, { promise: undefined }) : breaker.fire(fn);
  }

  /** The host ticket as opossum's semaphore; opossum's own one still counts a `capacity` given. */
  #semaphore(own: Semaphore | undefined): Semaphore {
    if (typeof own?.test !== 'function' || typeof own.release !== 'function')
      throw new Error('@bulwark/breaker needs opossum 9: its breaker has no semaphore to hand the host ticket to');
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

  #call(fn: () => unknown, token: Token | undefined): Promise<unknown> {
    const result = callPlain(fn);
    if (token) token.promise = result;
    if (!this.#enabled) result.then(this.release, this.release);
    return result;
  }

  #settled(): void {
    if (this.#skip > 0) this.#skip--;
    else this.release();
  }

  #timedOut(token: Token | undefined): void {
    this.#skip++; // opossum reports the timeout as a failure (or a success, through errorFilter) next
    if (token?.promise) token.promise.then(this.release, this.release);
    else this.release();
  }
}
