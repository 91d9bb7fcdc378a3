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
  readonly failures: number;
}

/** How the process ends: an exit code or a signal (resolved from the options), then SIGKILL after `graceMs`. */
export type ExitConfig = { readonly code: number; readonly graceMs: number } | { readonly signal: NodeJS.Signals; readonly graceMs: number };

export interface WorkerConfig {
  readonly heartbeat: SharedArrayBuffer;
  readonly stallMs: number;
  readonly pollMs: number;
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
  /** When the watchdog thread detected it (epoch ms). */
  readonly detectedAt: number;
  /** How long the stall had lasted when it was detected. */
  readonly durationMs: number;
  /** The main thread's JS stack, innermost first (`fn (file:line:col)`); empty when not captured. */
  readonly stack: readonly string[];
  /** How the stack was taken: the inspector, or only the kernel's view when the thread sat in a syscall. */
  readonly capture: 'inspector' | 'syscall' | 'none';
  readonly kernel?: KernelState;
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
  readonly durationMs: number;
}

export type FromWorker =
  | { readonly type: 'stall'; readonly event: StallEvent }
  | { readonly type: 'recover'; readonly event: RecoverEvent }
  | { readonly type: 'exit'; readonly code: number };

export type ToWorker = { readonly type: 'target'; readonly target: ProbeTarget } | { readonly type: 'close' };
