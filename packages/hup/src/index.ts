export { HupGuard, onHup, type HupEvents, type ReloadErrorInfo, type ReloadInfo, type ReloadOutcome } from './guard.js';
export type { HupOptions, Reload, ReloadContext } from './options.js';
export { registerReopen, type Destination, type Reopenable } from './reopen.js';
export type { LeakBudgetOptions, LeakReport } from './leak-budget.js';
export { forecastFilePath, type LeakForecast } from './forecast-file.js';
export { GuardClosedError, ReloadTimeoutError, RollError } from './errors.js';
