export { HupGuard, onHup, type HupEvents, type ReloadErrorInfo, type ReloadInfo, type ReloadOutcome } from './guard.js';
export type { HupOptions, Reload, ReloadContext } from './options.js';
export { registerReopen, type Destination, type Reopenable } from './reopen.js';
export { steadyGrowth, softNofile, type LeakBudgetOptions, type LeakReport } from './leak-budget.js';
export { ReloadTimeoutError, RollError } from './errors.js';
