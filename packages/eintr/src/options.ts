import { checkFunction, checkNumber, checkOptions } from '@bulwark/core';

/** What `onRetry` and the `bulwark:eintr:retry` channel get before each retry. */
export interface RetryInterruptedInfo {
  /** The call that just failed, counting from 1. */
  readonly attempt: number;
  /** The error code that made it retry: `EINTR` or `EAGAIN`. */
  readonly code: string;
  /** How long it waits before the next call. */
  readonly delayMs: number;
  /** Time left before the deadline. */
  readonly remainingMs: number;
}

/** @deprecated Renamed `RetryInterruptedInfo` (mysql's `RetryInfo` is another shape); this alias goes in the next minor. */
export type RetryInfo = RetryInterruptedInfo;

export interface RetryInterruptedOptions {
  /** Most calls in all, the first included; `Infinity` bounds by the deadline only. @default 100 */
  readonly attempts?: number;
  /** Time budget for all calls; what is left is recomputed before each one (PEP 475). @default 30_000 */
  readonly deadlineMs?: number;
  /** Longest wait between two calls that failed with `EAGAIN`; `EINTR` retries at once. @default 50 */
  readonly maxBackoffMs?: number;
  /** Called before each retry, also published on `bulwark:eintr:retry`; if it throws, the retry still happens and its error surfaces on the next tick. */
  readonly onRetry?: (info: RetryInterruptedInfo) => void;
}

export type ResolvedOptions = Required<Omit<RetryInterruptedOptions, 'onRetry'>> & Pick<RetryInterruptedOptions, 'onRetry'>;

const known = ['attempts', 'deadlineMs', 'maxBackoffMs', 'onRetry'];

/** `Infinity` is a valid bound here: a read may wait on its producer for as long as it takes. */
function bound(option: string, value: number, range: { min: number; integer?: boolean }): number {
  return value === Infinity ? value : checkNumber(option, value, range);
}

export function resolveOptions(options: RetryInterruptedOptions | undefined): ResolvedOptions {
  const o = checkOptions('options', options, known);
  return {
    attempts: bound('attempts', o.attempts ?? 100, { min: 1, integer: true }),
    deadlineMs: bound('deadlineMs', o.deadlineMs ?? 30_000, { min: 0 }),
    maxBackoffMs: checkNumber('maxBackoffMs', o.maxBackoffMs ?? 50, { min: 0 }),
    onRetry: o.onRetry === undefined ? undefined : checkFunction<(info: RetryInterruptedInfo) => void>('onRetry', o.onRetry),
  };
}
