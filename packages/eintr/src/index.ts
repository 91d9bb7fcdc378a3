export { retryInterrupted } from './retry.js';
export { readSyncRetry, type ReadSyncRetryOptions } from './read.js';
export type { RetryInfo, RetryInterruptedInfo, RetryInterruptedOptions } from './options.js';
export type { InterruptedFacts, InterruptedReason } from './interruptions.js';
