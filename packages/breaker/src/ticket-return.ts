import type { EventEmitter } from 'node:events';
import type CircuitBreaker from 'opossum';

/** What opossum emits once per settled call (a timeout is followed by one of these too). */
const OUTCOMES = ['success', 'failure', 'reject', 'cacheHit', 'coalesceCacheHit'] as const;

/** Carries a call's promise to opossum's 'timeout' event, which only gives the call's arguments. */
export interface Token {
  promise: Promise<unknown> | undefined;
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
 * Gives a run()'s ticket back once its call is over. Normally on opossum's own outcome event, which
 * costs no promise of ours; for a call opossum timed out, when `fn` itself settles, since the
 * dependency is still busy; for a disabled breaker (no events), on `fn`'s promise.
 */
export class TicketReturn {
  /** The action to build the breaker with. */
  readonly action: (fn: () => unknown, token?: Token) => Promise<unknown>;
  /** Outcomes to ignore: the one opossum reports right after a timeout, whose ticket waits for `fn`. */
  #skip = 0;
  readonly #timeouts: boolean;
  readonly #byEvents: boolean;

  constructor(
    options: CircuitBreaker.Options,
    private readonly release: () => void,
  ) {
    this.#timeouts = options.timeout !== false && options.timeout !== 0; // opossum's default is 10 s
    this.#byEvents = options.enabled !== false;
    this.action = this.#timeouts || !this.#byEvents ? (fn, token) => this.#call(fn, token) : (callDirect as (fn: () => unknown) => Promise<unknown>);
  }

  listen(breaker: EventEmitter): void {
    if (!this.#byEvents) return;
    const settled = this.#timeouts ? () => this.#settled() : this.release; // nothing to skip without timeouts
    for (const outcome of OUTCOMES) breaker.on(outcome, settled);
    breaker.on('timeout', (_error: unknown, _latency: unknown, args: unknown[]) => this.#timedOut(args[1] as Token | undefined));
  }

  fire(breaker: CircuitBreaker<[() => unknown, Token?], unknown>, fn: () => unknown): Promise<unknown> {
    return this.#timeouts ? breaker.fire(fn, { promise: undefined }) : breaker.fire(fn);
  }

  #call(fn: () => unknown, token: Token | undefined): Promise<unknown> {
    const result = callPlain(fn);
    if (token) token.promise = result;
    if (!this.#byEvents) result.then(this.release, this.release);
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
