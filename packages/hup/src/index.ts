import { GuardClosedError as CoreGuardClosedError } from '@bulwark/core';

export { HupGuard, onHup, type HupEvents, type ReloadErrorInfo, type ReloadInfo, type ReloadOutcome } from './guard.js';
export type { HupOptions, Reload, ReloadContext } from './options.js';
export { registerReopen, type Destination, type PinoTransport, type Reopenable, type WinstonFileTransport } from './reopen.js';
export type { StaleLog } from './stale.js';
export type { LeakBudgetOptions, LeakReport } from './leak-budget.js';
export { forecastFilePath, type LeakForecast } from './forecast-file.js';
export { ReloadTimeoutError, RollError } from './errors.js';
export { serveWorkerReopens } from './worker.js';

/**
 * @deprecated `guard.reload()` after `close()` now rejects with core's `GuardClosedError('hup')`
 * (code `ERR_BULWARK_CLOSED`, was `ERR_HUP_CLOSED`); import it from `@bulwark/core` or `bulwark`.
 * This alias goes in the next minor version.
 */
export const GuardClosedError = CoreGuardClosedError;
/** @deprecated see the value of the same name. */
export type GuardClosedError = CoreGuardClosedError;
