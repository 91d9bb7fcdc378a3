import { publish } from '@bulwark/core';
import type { ResolvedOptions } from './options.js';

/** Error codes that mean "call again": a signal arrived, or a non-blocking descriptor had no data. */
const interrupted = new Set(['EINTR', 'EAGAIN', 'EWOULDBLOCK']);

/** What a failure that was not retried carries, beside its own code and message. */
export interface InterruptedFacts {
  readonly attempts: number;
  readonly retried: boolean;
  readonly reason: 'attempts-exhausted' | 'deadline-exceeded';
}

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
    const info = { attempt: this.#attempts, code, delayMs: Math.min(backoff, remainingMs), remainingMs };
    this.options.onRetry?.(info);
    publish('eintr', 'retry', info);
    return info.delayMs;
  }

  #giveUp(error: unknown, reason: InterruptedFacts['reason']): unknown {
    const facts: InterruptedFacts = { attempts: this.#attempts, retried: this.#attempts > 1, reason };
    if (typeof error === 'object' && error !== null) Object.assign(error, { bulwark: facts });
    return error;
  }
}
