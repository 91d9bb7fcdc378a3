import type { GcTime, InFlightRequest } from './shared.js';

// What the main thread and the watchdog thread tell each other. Plain, structured-cloneable data.

/** Where the probe sends its request: a host and port, or a Unix socket. */
export interface ProbeTarget {
  readonly protocol: 'http:' | 'https:';
  readonly host?: string;
  readonly port?: number;
  readonly socketPath?: string;
  readonly path: string;
  /** `user:password` from the URL, sent as Basic auth and never written to a report. */
  readonly auth?: string;
  /** The target without credentials or query string, safe for a report. */
  readonly label: string;
}

export interface ProbeConfig {
  readonly target?: ProbeTarget;
  readonly timeoutMs: number;
  readonly intervalMs: number;
  /** How soon a failed probe is followed by the next. */
  readonly confirmMs: number;
  readonly failures: number;
}

/** How the process ends: an exit code or a signal (resolved from the options), then SIGKILL after `graceMs`. */
export type ExitConfig =
  { readonly code: number; readonly graceMs: number } | { readonly signal: NodeJS.Signals; readonly graceMs: number };

/** The user-agent of the probe's requests. */
export const probeAgent = 'bulwark-watchdog';

/** The BroadcastChannel on which watched worker threads and the watchdog thread find each other. */
export const registryChannel = 'bulwark:watchdog:threads';

/** A thread the watchdog watches: its shared memory (see shared.ts) and who it is. */
export interface ThreadInfo {
  readonly name: string;
  /** Node's threadId (0 for the main thread). */
  readonly threadId: number;
  /** The kernel's thread id, for `/proc/self/task/<tid>`. */
  readonly tid: number;
  readonly shared: SharedArrayBuffer;
}

export interface WorkerConfig {
  readonly main: ThreadInfo;
  /** Bumped and notified to wake the watchdog thread (see SharedWriter.beat). */
  readonly wake: SharedArrayBuffer;
  readonly stallMs: number;
  /** Heartbeat period: a stall is seen between stallMs and stallMs + beatMs after it began. */
  readonly beatMs: number;
  readonly probe?: ProbeConfig;
  readonly action: 'report' | 'exit' | 'call';
  readonly exit: ExitConfig;
  readonly reportDir: string;
  readonly reportsPerHour: number;
  readonly kickSignal?: NodeJS.Signals;
  readonly captureTimeoutMs: number;
}

/** What the kernel shows for the main thread (`/proc/self/task/<pid>/`). */
export interface KernelState {
  readonly tid: number;
  /** `R` running, `S` sleeping, `D` uninterruptible, ... */
  readonly state: string;
  /** The syscall number it sits in, or undefined while it runs in user space. */
  readonly syscall?: number;
  readonly syscallName?: string;
  readonly wchan?: string;
}

/** Payload of the `stall` event. */
export interface StallEvent {
  readonly kind: 'blocked' | 'deaf';
  /** The stuck thread: `main` (threadId 0) or a watched worker thread by its name. */
  readonly thread: { readonly name: string; readonly threadId: number };
  /** When the watchdog thread detected it (epoch ms). */
  readonly detectedAt: number;
  /** How long the stall had lasted when it was detected. */
  readonly durationMs: number;
  /** The main thread's JS stack, innermost first (`fn (file:line:col)`); empty when not captured. */
  readonly stack: readonly string[];
  /**
   * Where the thread was when the stall was seen: `inspector` = running JS (the stack was taken
   * then), `native` = inside native code (a sync crypto or zlib call, a huge JSON.parse, a GC
   * pause, an addon), `syscall` = inside a system call, `none` = neither could be told.
   */
  readonly capture: 'inspector' | 'native' | 'syscall' | 'none';
  readonly kernel?: KernelState;
  /**
   * Set when the stack was taken as the thread came back from native code or a syscall into JS:
   * how long after the stall began. The frames are the ones that were stuck, never later code.
   */
  readonly stackTakenAfterMs?: number;
  /** The first frame of the app's own code (not `node:`), the function to look at. */
  readonly culprit?: string;
  /** The HTTP requests the thread had not answered: method and path only. */
  readonly requests: readonly InFlightRequest[];
  /** In-flight requests beyond the slots kept, counted only. */
  readonly moreRequests?: number;
  /** What the app last passed to `setState()`. */
  readonly state?: unknown;
  /** The report file, or undefined when the hourly cap or an error stopped it. */
  readonly reportPath?: string;
  /** For `deaf`: failed probes in a row and the last failure's reason. */
  readonly probeFailures?: number;
  readonly probeError?: string;
  /** For `deaf`: the signal sent to wake the loop and whether the probe then succeeded. */
  readonly kick?: { readonly signal: string; readonly helped: boolean };
  /** What the watchdog does next. */
  readonly action: 'report' | 'exit' | 'call';
}

/** Payload of the `recover` event. */
export interface RecoverEvent {
  readonly kind: 'blocked' | 'deaf';
  readonly thread: { readonly name: string; readonly threadId: number };
  readonly durationMs: number;
  /**
   * For `blocked`: the garbage collection inside the stall (pauses of 2 ms or more), when there
   * was any. Node tells GC pauses once they end, so this comes with the recovery, and the report
   * file is rewritten with it.
   */
  readonly gc?: GcTime;
}

export type FromWorker =
  | { readonly type: 'stall'; readonly event: StallEvent }
  | { readonly type: 'recover'; readonly event: RecoverEvent }
  | { readonly type: 'exit'; readonly code: number }
  | { readonly type: 'warning'; readonly code: string; readonly message: string };

export type ToWorker = { readonly type: 'target'; readonly target: ProbeTarget } | { readonly type: 'close' };
