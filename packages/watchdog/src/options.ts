import type { Server } from 'node:net';
import { constants, tmpdir } from 'node:os';
import { InvalidOptionError, checkBoolean, checkNumber, checkOneOf, checkOptions, checkString } from '@bulwark/core';
import type { ExitConfig, StallEvent } from './protocol.js';

/** The end-to-end probe: a real request through the listening socket, sent from the watchdog thread. */
export interface ProbeOptions {
  /**
   * `http://` or `https://` URL to request. Give at most one of `url`, `socketPath`, `server`;
   * with none, the target comes with `watchdog.probeServer(server)`. @default undefined (not this one)
   */
  readonly url?: string;
  /** A Unix socket the server listens on. Give at most one of `url`, `socketPath`, `server`. @default undefined (not this one) */
  readonly socketPath?: string;
  /**
   * An `http.Server` or `https.Server`; the probe requests its own address once it listens.
   * `'first'`: the first HTTP(S) server of this process to listen (what the `bulwark` flag uses).
   * Give at most one of `url`, `socketPath`, `server`. @default undefined (not this one)
   */
  readonly server?: Server | 'first';
  /** Path requested with `socketPath` or `server`. @default '/' */
  readonly path?: string;
  /** A probe without response headers within this time failed. @default stallMs */
  readonly timeoutMs?: number;
  /**
   * Time between probes; none is sent while the server answered a real request in the interval.
   * After a failed probe the next one follows sooner, after `min(intervalMs, max(stallMs, 1000))`
   * (HAProxy's `fastinter`). @default Math.max(stallMs, 2000)
   */
  readonly intervalMs?: number;
  /** Failed probes in a row, with the heartbeat fresh, that make the server deaf. @default 3 */
  readonly failures?: number;
}

export type StallAction = 'report' | 'exit' | ((stall: StallEvent) => void);

export interface ExitOptions {
  /** Exit code for `process.exit` on the main thread. @default 70 */
  readonly code?: number;
  /** Signal to end the process with instead of an exit code (a name in `os.constants.signals`). @default undefined (exit with `code`) */
  readonly signal?: NodeJS.Signals;
  /** SIGKILL follows when the process still lives after this long. @default 2000 */
  readonly graceMs?: number;
}

export interface WatchdogOptions {
  /** A heartbeat older than this means the event loop is blocked. @default 1000 */
  readonly stallMs?: number;
  /**
   * How often the main thread writes its heartbeat: a stall is reported between `stallMs` and
   * `stallMs + pollMs` after it began, never for a shorter one. @default stallMs / 2
   */
  readonly pollMs?: number;
  /** Probe through the real socket to find a deaf server. Without it only `blocked` is detected. */
  readonly probe?: ProbeOptions;
  /** What to do on a stall. A function is called on the main thread, once it runs again. @default 'report' */
  readonly onStall?: StallAction;
  /** How `onStall: 'exit'` ends the process. @default { code: 70 } */
  readonly exit?: ExitOptions;
  /** Folder for report files (created 0700, files 0600). @default os.tmpdir() */
  readonly reportDir?: string;
  /** At most this many report files per hour. @default 6 */
  readonly reportsPerHour?: number;
  /** On `deaf`, send SIGURG (with a no-op listener) to wake `epoll_wait`, then probe again. @default true */
  readonly kick?: boolean;
  /** How long to wait for the main thread to pause for a stack capture. @default Math.min(1000, stallMs) */
  readonly captureTimeoutMs?: number;
}

const known = ['stallMs', 'pollMs', 'probe', 'onStall', 'exit', 'reportDir', 'reportsPerHour', 'kick', 'captureTimeoutMs'];
const probeKeys = ['url', 'socketPath', 'server', 'path', 'timeoutMs', 'intervalMs', 'failures'];

export type ResolvedOptions = ReturnType<typeof resolveOptions>;

/** Throws what `startWatchdog(options)` would throw for bad options, without starting anything. */
export function checkWatchdogOptions(options?: WatchdogOptions): void {
  resolveOptions(options);
}

/** Defaults every option once and throws naming the first bad one. */
export function resolveOptions(input?: WatchdogOptions) {
  const o = checkOptions('watchdog options', input, known);
  const stallMs = checkNumber('stallMs', o.stallMs ?? 1000, { min: 20, integer: true });
  const pollMs = checkNumber('pollMs', o.pollMs ?? Math.floor(stallMs / 2), { min: 5, max: stallMs, integer: true });
  const onStall = o.onStall ?? 'report';
  if (typeof onStall !== 'function') checkOneOf('onStall', onStall, ['report', 'exit'] as const);
  return {
    stallMs,
    pollMs,
    probe: o.probe === undefined ? undefined : resolveProbe(o.probe, stallMs),
    onStall,
    exit: resolveExit(o.exit),
    reportDir: checkString('reportDir', o.reportDir ?? tmpdir()),
    reportsPerHour: checkNumber('reportsPerHour', o.reportsPerHour ?? 6, { min: 0, integer: true }),
    kick: checkBoolean('kick', o.kick ?? true),
    captureTimeoutMs: checkNumber('captureTimeoutMs', o.captureTimeoutMs ?? Math.min(1000, stallMs), { min: 10, integer: true }),
  } as const;
}

function resolveProbe(input: ProbeOptions, stallMs: number) {
  const p = checkOptions('probe', input, probeKeys);
  const given = (['url', 'socketPath', 'server'] as const).filter((k) => p[k] !== undefined);
  // None: the target comes with `watchdog.probeServer(server)`.
  if (given.length > 1) throw new InvalidOptionError('probe', input, 'at most one of url, socketPath or server');
  if (p.url !== undefined) checkString('probe.url', p.url, /^https?:\/\//);
  if (p.socketPath !== undefined) checkString('probe.socketPath', p.socketPath);
  if (p.server !== undefined && p.server !== 'first' && typeof (p.server as { address?: unknown }).address !== 'function')
    throw new InvalidOptionError('probe.server', p.server, "an http.Server or https.Server, or 'first'");
  const intervalMs = checkNumber('probe.intervalMs', p.intervalMs ?? Math.max(stallMs, 2000), { min: 10, integer: true });
  return {
    url: p.url,
    socketPath: p.socketPath,
    server: p.server,
    path: checkString('probe.path', p.path ?? '/', /^\//),
    timeoutMs: checkNumber('probe.timeoutMs', p.timeoutMs ?? stallMs, { min: 10, integer: true }),
    intervalMs,
    // Not an option: how soon a failed probe is followed by the next.
    confirmMs: Math.min(intervalMs, Math.max(stallMs, 1000)),
    failures: checkNumber('probe.failures', p.failures ?? 3, { min: 1, integer: true }),
  } as const;
}

// Checked here: an unknown name would make process.kill throw in the worker just when it must end the process.
function checkSignal(signal: unknown): NodeJS.Signals {
  if (typeof signal !== 'string' || !Object.hasOwn(constants.signals, signal))
    throw new InvalidOptionError('exit.signal', signal, 'a signal name from os.constants.signals');
  return signal as NodeJS.Signals;
}

function resolveExit(input?: ExitOptions): ExitConfig {
  const e = checkOptions('exit', input, ['code', 'signal', 'graceMs']);
  if (e.code !== undefined && e.signal !== undefined) throw new InvalidOptionError('exit', input, 'a code or a signal, not both');
  const graceMs = checkNumber('exit.graceMs', e.graceMs ?? 2000, { min: 0, integer: true });
  if (e.signal !== undefined) return { signal: checkSignal(e.signal), graceMs };
  return { code: checkNumber('exit.code', e.code ?? 70, { min: 0, max: 255, integer: true }), graceMs };
}
