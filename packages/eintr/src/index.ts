export { retryInterrupted } from './retry.js';
export { readSyncRetry, type ReadSyncRetryOptions } from './read.js';
export type { RetryInfo, RetryInterruptedOptions } from './options.js';
export type { InterruptedFacts } from './interruptions.js';
