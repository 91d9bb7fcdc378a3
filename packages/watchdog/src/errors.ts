import { BulwarkError } from '@bulwark/core';

/** startWatchdog() was called from a worker thread; it watches the main thread only. */
export class NotMainThreadError extends BulwarkError {
  static readonly code = 'ERR_WATCHDOG_NOT_MAIN_THREAD';
  constructor() {
    super('startWatchdog() must be called on the main thread');
  }
}

/** watchThread() was called on the main thread, which startWatchdog() watches. */
export class MainThreadWatchError extends BulwarkError {
  static readonly code = 'ERR_WATCHDOG_MAIN_THREAD';
  constructor() {
    super('watchThread() is for worker threads; startWatchdog() watches the main thread');
  }
}
