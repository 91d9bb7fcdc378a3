export { startWatchdog, kickSignal, type Watchdog, type WatchdogEvents } from './watchdog.js';
export { watchThread, type WatchedThread, type WatchThreadOptions } from './thread.js';
export { NotMainThreadError, MainThreadWatchError } from './errors.js';
export { checkWatchdogOptions, type WatchdogOptions, type ProbeOptions, type ExitOptions, type StallAction } from './options.js';
export type { StallEvent, RecoverEvent, KernelState } from './protocol.js';
export type { GcTime, InFlightRequest } from './shared.js';
