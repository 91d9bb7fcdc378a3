import { type GiveUpFacts, addGiveUpFacts, notify, publish } from '@bulwark/core';
import type { ResolvedOptions, RetryInterruptedInfo } from './options.js';

/** Error codes that mean "call again": a signal arrived, or a non-blocking descriptor had no data. */
const interrupted = new Set(['EINTR', 'EAGAIN', 'EWOULDBLOCK']);

/** Why a retried call gave up. */
export type InterruptedReason = 'attempts-exhausted' | 'deadline-exceeded';

/** `err.bulwark` on the last error of a call that gave up, beside its own code and message. */
export type InterruptedFacts = GiveUpFacts<InterruptedReason>;

/** The budget of one retried call: counts attempts and keeps the deadline. */
export class Interruptions {
  #attempts = 0;
  readonly #deadline: number;

  constructor(private readonly options: ResolvedOptions) {
    this.#deadline = performance.now() + options.deadlineMs;
  }

  /** After a failed call: how long to wait before calling again. Throws `error` when it may not. */
  waitAfter(error: unknown): number {
    this.#attempts++;
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (code === undefined || !interrupted.has(code)) throw error;
    const remainingMs = this.#deadline - performance.now();
    if (this.#attempts >= this.options.attempts) throw this.#giveUp(error, 'attempts-exhausted');
    if (remainingMs <= 0) throw this.#giveUp(error, 'deadline-exceeded');
    // PEP 475: EINTR retries at once; EAGAIN waits for the producer, doubling up to the cap.
    const backoff = code === 'EINTR' ? 0 : Math.min(this.options.maxBackoffMs, 2 ** (this.#attempts - 1));
    const info: RetryInterruptedInfo = { attempt: this.#attempts, code, delayMs: Math.min(backoff, remainingMs), remainingMs };
    if (this.options.onRetry) notify(this.options.onRetry, info);
    publish('eintr', 'retry', info);
    return info.delayMs;
  }

  #giveUp(error: unknown, reason: InterruptedReason): unknown {
    return addGiveUpFacts(error, { attempts: this.#attempts, retried: this.#attempts > 1, reason } satisfies InterruptedFacts);
  }
}
