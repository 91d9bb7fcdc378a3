import { createRequire } from 'node:module';
import { BulwarkError } from '@bulwark/core';

/** A metrics backend was asked for and its package is not installed. */
export class MetricsPeerMissingError extends BulwarkError {
  static readonly code = 'ERR_METRICS_PEER_MISSING';

  constructor(
    readonly peer: string,
    options?: ErrorOptions,
  ) {
    super(`bulwark metrics need ${peer}, an optional peer dependency: npm install ${peer}`, options);
  }
}

const require = createRequire(import.meta.url);

/**
 * Loads an optional peer on first use, synchronously (`enable()` is), so that an app without
 * metrics never loads it. prom-client is CommonJS and @opentelemetry/api keeps its state on a
 * global, so the copy loaded here is the one the app imports.
 */
export function loadPeer<T>(peer: 'prom-client' | '@opentelemetry/api'): T {
  try {
    return require(peer) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') throw new MetricsPeerMissingError(peer, { cause: error });
    throw error;
  }
}
