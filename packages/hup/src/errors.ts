import { BulwarkError } from '@bulwark/core';

/** A reload ran longer than `timeoutMs`; the guard moved on and the service kept what it had. */
export class ReloadTimeoutError extends BulwarkError {
  static readonly code = 'ERR_HUP_RELOAD_TIMEOUT';
  readonly code = ReloadTimeoutError.code;

  constructor(readonly timeoutMs: number) {
    super(`reload did not finish within ${timeoutMs} ms`);
    this.name = 'ReloadTimeoutError';
  }
}

/** A rolling restart stopped: a new worker did not start listening, so its old one was kept. */
export class RollError extends BulwarkError {
  static readonly code = 'ERR_HUP_ROLL';
  readonly code = RollError.code;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RollError';
  }
}

/** `guard.reload()` was called after `close()`. */
export class GuardClosedError extends BulwarkError {
  static readonly code = 'ERR_HUP_CLOSED';
  readonly code = GuardClosedError.code;

  constructor() {
    super('the HUP guard is closed');
    this.name = 'GuardClosedError';
  }
}
