import { InvalidOptionError, checkBoolean, checkFunction, checkNumber, checkOneOf, checkOptions } from '@bulwark/core';
import cluster from 'node:cluster';
import { type LeakBudgetOptions, resolveLeakBudget } from './leak-budget.js';
import { type Destination, checkDestination } from './reopen.js';

/** What a reload is told: why it runs, and a signal that aborts when it exceeds `timeoutMs`. */
export interface ReloadContext {
  /** Signals absorbed by this reload (0 when called through `guard.reload()`). */
  readonly signals: number;
  readonly signal: AbortSignal;
}

/** The app's reload: re-read config, rebuild clients, ... May be async. */
export type Reload = (context: ReloadContext) => unknown;

export interface HupOptions {
  /** Quiet time that ends a burst of HUPs. @default 100 */
  readonly coalesceMs?: number;
  /** Longest wait from a burst's first HUP to its reload, so a steady stream still reloads. @default 1000 */
  readonly maxDelayMs?: number;
  /** A reload running longer fails with `reload-error`; the next one may then start. @default 30000 */
  readonly timeoutMs?: number;
  /** Log destinations to reopen after each burst, before the reload runs. @default [] */
  readonly reopen?: readonly Destination[];
  /** Watch fds, active resources and listeners across reloads; report steady growth. @default false */
  readonly leakBudget?: boolean | LeakBudgetOptions;
  /** In a `node:cluster` primary, `'rolling'` replaces the workers one at a time on each reload. @default false */
  readonly cluster?: 'rolling' | false;
  /**
   * Adopt the process's logs and SIGHUP handlers with no code change: find the sonic-boom
   * instances and fs.WriteStreams it writes by path and reopen the moved ones, run the app's own
   * `process.on('SIGHUP')` listeners inside the guard, warn about stdout/stderr files without
   * O_APPEND. On for `BULWARK_HUP=1` and `enable({ hup })`. @default false
   */
  readonly adopt?: boolean;
}

const known = ['coalesceMs', 'maxDelayMs', 'timeoutMs', 'reopen', 'leakBudget', 'cluster', 'adopt'] as const;

/** Checks and defaults every option once, naming the option and the value on failure. */
export function resolveOptions(reload: unknown, options: HupOptions | undefined) {
  const o = checkOptions<HupOptions>('onHup options', options, known);
  const coalesceMs = checkNumber('coalesceMs', o.coalesceMs ?? 100, { min: 0, max: 3_600_000 });
  const maxDelayMs = checkNumber('maxDelayMs', o.maxDelayMs ?? Math.max(1000, coalesceMs), { min: coalesceMs, max: 3_600_000 });
  const timeoutMs = checkNumber('timeoutMs', o.timeoutMs ?? 30_000, { min: 1, max: 2_147_483_647 });
  if (o.reopen !== undefined && !Array.isArray(o.reopen)) throw new InvalidOptionError('reopen', o.reopen, 'an array of destinations');
  const reopen = (o.reopen ?? []).map((d, i) => checkDestination(`reopen[${i}]`, d));
  const leak = o.leakBudget ?? false;
  if (typeof leak !== 'boolean' && (typeof leak !== 'object' || leak === null))
    throw new InvalidOptionError('leakBudget', leak, 'true, false or an options object');
  const leakBudget = leak === false ? undefined : resolveLeakBudget(leak);
  const rolling = checkOneOf('cluster', o.cluster ?? false, ['rolling', false] as const) === 'rolling';
  if (rolling && !cluster.isPrimary)
    throw new InvalidOptionError('cluster', o.cluster, "used in the cluster's primary process, not in a worker");
  const adopt = checkBoolean('adopt', o.adopt ?? false);
  return {
    adopt,
    reload: reload === undefined ? undefined : checkFunction<Reload>('reload', reload),
    coalesceMs,
    maxDelayMs,
    timeoutMs,
    reopen,
    leakBudget,
    rolling,
  } as const;
}

export type ResolvedOptions = ReturnType<typeof resolveOptions>;
