import { checkFunction, delay, sleepSync } from '@bulwark/core';
import { Interruptions } from './interruptions.js';
import { type RetryInterruptedOptions, resolveOptions } from './options.js';

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/**
 * Calls `fn` again while it fails with `EINTR` or `EAGAIN`, within `attempts` and `deadlineMs`.
 * A sync `fn` is retried synchronously; one that returns a promise is retried asynchronously.
 * Any other error passes through untouched; a give-up throws the last error with `err.bulwark`.
 */
export function retryInterrupted<T>(fn: () => Promise<T>, options?: RetryInterruptedOptions): Promise<T>;
export function retryInterrupted<T>(fn: () => T, options?: RetryInterruptedOptions): T;
export function retryInterrupted<T>(fn: () => T | Promise<T>, options?: RetryInterruptedOptions): T | Promise<T> {
  checkFunction('fn', fn);
  const budget = new Interruptions(resolveOptions(options));
  for (;;) {
    let result: T | Promise<T>;
    try {
      result = fn();
    } catch (error) {
      sleepSync(budget.waitAfter(error));
      continue;
    }
    return isPromiseLike(result) ? retryAsync(fn as () => Promise<T>, budget, result) : result;
  }
}

async function retryAsync<T>(fn: () => Promise<T>, budget: Interruptions, first: Promise<T>): Promise<T> {
  let pending = first;
  for (;;) {
    try {
      return await pending;
    } catch (error) {
      const wait = budget.waitAfter(error);
      if (wait > 0) await delay(wait);
    }
    pending = (async () => fn())();
  }
}
