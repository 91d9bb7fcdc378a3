export { startWatchdog, Watchdog, NotMainThreadError, kickSignal, type WatchdogEvents } from './watchdog.js';
export type { WatchdogOptions, ProbeOptions, ExitOptions, StallAction } from './options.js';
export type { StallEvent, RecoverEvent, KernelState } from './protocol.js';
