import { InvalidOptionError, checkBoolean, checkNumber, checkOptions } from '@bulwark/core';
import type CircuitBreaker from 'opossum';

const TIMER_MAX = 2 ** 31 - 1;
const COUNT_MAX = Number.MAX_SAFE_INTEGER;

/** opossum 9's numeric options (README and lib/circuit.js) and the values it can use. */
const NUMBERS: Record<string, { min: number; max: number; integer?: boolean }> = {
  resetTimeout: { min: 0, max: TIMER_MAX },
  rollingCountTimeout: { min: 1, max: TIMER_MAX },
  rollingCountBuckets: { min: 1, max: COUNT_MAX, integer: true },
  capacity: { min: 1, max: COUNT_MAX, integer: true },
  errorThresholdPercentage: { min: 0, max: 100 },
  volumeThreshold: { min: 0, max: COUNT_MAX, integer: true },
  maxFailures: { min: 0, max: COUNT_MAX },
  cacheTTL: { min: 0, max: COUNT_MAX },
  cacheSize: { min: 0, max: COUNT_MAX, integer: true },
  coalesceTTL: { min: 0, max: COUNT_MAX },
  coalesceSize: { min: 0, max: COUNT_MAX, integer: true },
};

const BOOLEANS = [
  'rollingPercentilesEnabled',
  'enabled',
  'allowWarmUp',
  'cache',
  'coalesce',
  'autoRenewAbortController',
  'enableSnapshots',
];

/** Options opossum 9 reads that are objects, functions or strings: passed through as given. */
const OTHERS = [
  'status',
  'name',
  'group',
  'errorFilter',
  'cacheGetKey',
  'cacheTransport',
  'coalesceResetOn',
  'abortController',
  'rotateBucketController',
];

const KNOWN = ['timeout', ...Object.keys(NUMBERS), ...BOOLEANS, ...OTHERS];

/** The per-call timeout opossum applies: its default is 10 s; `false` or 0 means none (0 here). */
export const callTimeoutMs = (options: CircuitBreaker.Options): number => (options.timeout === undefined ? 10_000 : options.timeout || 0);

/** Checks opossum's options by name and range, so that a typo or a negative timeout throws here, not later. */
export function checkCircuitOptions(input: unknown): CircuitBreaker.Options {
  if (input === undefined) return {};
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new InvalidOptionError('circuit', input, "opossum's options object");
  const options = checkOptions('circuit', input as Record<string, unknown>, KNOWN);
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (key === 'timeout') {
      if (value !== false) checkNumber('circuit.timeout', value, { min: 0, max: TIMER_MAX });
    } else if (NUMBERS[key]) checkNumber(`circuit.${key}`, value, NUMBERS[key]);
    else if (BOOLEANS.includes(key)) checkBoolean(`circuit.${key}`, value);
  }
  return { ...(options as CircuitBreaker.Options) };
}
