export { startWatchdog, Watchdog, kickSignal, type WatchdogEvents } from './watchdog.js';
export { NotMainThreadError } from './errors.js';
export { checkWatchdogOptions, type WatchdogOptions, type ProbeOptions, type ExitOptions, type StallAction } from './options.js';
export type { StallEvent, RecoverEvent, KernelState } from './protocol.js';
