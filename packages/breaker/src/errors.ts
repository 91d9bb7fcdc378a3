import { BulwarkError } from '@bulwark/core';

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

/** The resource was closed before or while the call waited. */
export class ResourceClosedError extends BulwarkError {
  static readonly code = 'ERR_RESOURCE_CLOSED';

  constructor(readonly resource: string) {
    super(`resource ${resource} is closed`);
  }
}
