import { BulwarkError } from '@bulwark/core';

/** A reload ran longer than `timeoutMs`; the guard moved on and the service kept what it had. */
export class ReloadTimeoutError extends BulwarkError {
  static readonly code = 'ERR_HUP_RELOAD_TIMEOUT';

  constructor(readonly timeoutMs: number) {
    super(`reload did not finish within ${timeoutMs} ms`);
  }
}

/** A rolling restart stopped: a new worker did not start listening, so its old one was kept. */
export class RollError extends BulwarkError {
  static readonly code = 'ERR_HUP_ROLL';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
