import { BulwarkError, GuardClosedError } from '@bulwark/core';

/** No ticket was free on the host within `acquireTimeoutMs`. */
export class BulkheadFullError extends BulwarkError {
  static readonly code = 'ERR_BULKHEAD_FULL';

  constructor(
    readonly resource: string,
    readonly tickets: number,
    readonly waitedMs: number,
  ) {
    super(`bulkhead of ${resource} is full (${tickets} tickets on this host, waited ${waitedMs} ms)`);
  }
}

/** The resource's circuit is open: the call was not sent. */
export class CircuitOpenError extends BulwarkError {
  static readonly code = 'ERR_CIRCUIT_OPEN';

  constructor(
    readonly resource: string,
    options?: ErrorOptions,
  ) {
    super(`circuit of ${resource} is open`, options);
  }
}

/**
 * The resource was closed before or while the call waited: core's GuardClosedError
 * (ERR_BULWARK_CLOSED), thrown as `new GuardClosedError('breaker', 'resource <name>')`.
 * @deprecated Match `GuardClosedError` or `err.code === 'ERR_BULWARK_CLOSED'`.
 */
export const ResourceClosedError = GuardClosedError;

/** The host's shared memory could not be opened or holds no free process slot. */
export class SharedMemoryError extends BulwarkError {
  static readonly code = 'ERR_BREAKER_SHARED_MEMORY';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** The installed opossum has no per-breaker semaphore to hand the host ticket to. */
export class OpossumUnsupportedError extends BulwarkError {
  static readonly code = 'ERR_BREAKER_OPOSSUM_UNSUPPORTED';

  constructor() {
    super('@bulwark/breaker needs opossum 9 or 10: its breaker has no semaphore to hand the host ticket to');
  }
}
