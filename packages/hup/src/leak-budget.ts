import { checkNumber, checkOptions } from '@bulwark/core';
import { readFileSync, readdirSync } from 'node:fs';
import { ForecastFile } from './forecast-file.js';

/** How the leak budget decides that a resource grows steadily across reloads. */
export interface LeakBudgetOptions {
  /** How many recent reloads the trend is fitted over. @default 16 */
  readonly window?: number;
  /** Fewest reloads before a trend may be reported. @default 8 */
  readonly minReloads?: number;
  /** Smallest growth per reload worth reporting. @default 0.1 */
  readonly minGrowth?: number;
}

/** A resource that grows steadily across reloads, and when it runs out. */
export interface LeakReport {
  /** `fd`, `resource:<type>` (process.getActiveResourcesInfo()) or `listeners:<event>` (process). */
  readonly resource: string;
  /** Fitted growth per reload (least-squares slope over the window). */
  readonly growthPerReload: number;
  readonly current: number;
  /** What the resource runs into: soft RLIMIT_NOFILE, process.getMaxListeners(), or null. */
  readonly limit: number | null;
  /** Which limit that is, by name. */
  readonly limitName: string | null;
  /** Reloads until `limit` is reached at this growth, or null without a limit. */
  readonly reloadsLeft: number | null;
  /** Reloads so far (sampled ones). */
  readonly reloads: number;
}

interface Sample {
  readonly value: number;
  readonly limit: number | null;
  readonly limitName: string | null;
}

const known = ['window', 'minReloads', 'minGrowth'] as const;

/** Resolves `leakBudget: true | options`, checking each value. */
export function resolveLeakBudget(option: true | LeakBudgetOptions) {
  const o = checkOptions<LeakBudgetOptions>('leakBudget', option === true ? undefined : option, known);
  const window = checkNumber('leakBudget.window', o.window ?? 16, { min: 4, max: 1000, integer: true });
  const minReloads = checkNumber('leakBudget.minReloads', o.minReloads ?? 8, { min: 3, max: window, integer: true });
  const minGrowth = checkNumber('leakBudget.minGrowth', o.minGrowth ?? 0.1, { min: 0 });
  return { window, minReloads, minGrowth } as const;
}

/** One sample of everything the budget watches, by resource name. */
function sampleResources(): Map<string, Sample> {
  const samples = new Map<string, Sample>();
  const nofile = softNofile();
  samples.set('fd', { value: openFds(), limit: nofile, limitName: nofile === null ? null : 'RLIMIT_NOFILE (soft)' });
  const byType = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) byType.set(type, (byType.get(type) ?? 0) + 1);
  for (const [type, count] of byType) samples.set(`resource:${type}`, { value: count, limit: null, limitName: null });
  const max = process.getMaxListeners();
  for (const event of process.eventNames()) {
    const name = `listeners:${String(event)}`;
    samples.set(name, { value: process.listenerCount(event), limit: max || null, limitName: max ? 'process.getMaxListeners()' : null });
  }
  return samples;
}

function openFds(): number {
  try {
    return readdirSync('/proc/self/fd').length - 1; // readdir's own fd is listed too
  } catch {
    return 0;
  }
}

/** The soft RLIMIT_NOFILE from /proc/self/limits, or null where there is no such file. */
function softNofile(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined || soft === 'unlimited' ? null : Number(soft);
  } catch {
    return null;
  }
}

/**
 * Watches resources across reloads. The trend test, per resource, over the last `window` samples
 * (the sample before the first reload included): the least-squares slope is at least
 * `minGrowth`, the line explains the samples (R² >= 0.9), the net rise is at least 3, and at
 * most one step in eight goes down. A steady leak passes after `minReloads`; flat, noisy or
 * warm-up-then-flat samples fail. A resource is reported again only after another window.
 */
export class LeakBudget {
  #history = new Map<string, number[]>();
  #reportedAt = new Map<string, number>();
  #reloads = 0;
  /** The latest forecast, for `bulwark doctor` to read from outside. */
  readonly #forecast = new ForecastFile();

  constructor(private readonly options: ReturnType<typeof resolveLeakBudget>) {
    this.#record(sampleResources());
    this.#forecast.write(0, []);
  }

  /** Removes the forecast file. */
  close(): void {
    this.#forecast.remove();
  }

  /** Samples after a reload; returns the resources that grow steadily. */
  afterReload(): LeakReport[] {
    const samples = sampleResources();
    this.#reloads++;
    this.#record(samples);
    const reports: LeakReport[] = [];
    for (const [resource, sample] of samples) {
      const values = this.#history.get(resource)!;
      if (values.length <= this.options.minReloads) continue;
      const last = this.#reportedAt.get(resource);
      if (last !== undefined && this.#reloads - last < this.options.window) continue;
      const growth = steadyGrowth(values, this.options.minGrowth);
      if (growth === undefined) continue;
      this.#reportedAt.set(resource, this.#reloads);
      reports.push(report(resource, sample, growth, this.#reloads));
    }
    this.#forecast.write(this.#reloads, reports);
    return reports;
  }

  #record(samples: Map<string, Sample>): void {
    for (const resource of samples.keys()) if (!this.#history.has(resource)) this.#history.set(resource, []);
    for (const [resource, values] of this.#history) {
      // A resource type that disappeared counts as zero.
      values.push(samples.get(resource)?.value ?? 0);
      if (values.length > this.options.window) values.shift();
    }
  }
}

function report(resource: string, sample: Sample, growth: number, reloads: number): LeakReport {
  const left = sample.limit === null ? null : Math.max(0, Math.floor((sample.limit - sample.value) / growth));
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return {
    resource,
    growthPerReload: round(growth),
    current: sample.value,
    limit: sample.limit,
    limitName: sample.limitName,
    reloadsLeft: left,
    reloads,
  };
}

/** The least-squares slope of `values` when they grow steadily, else undefined. */
export function steadyGrowth(values: readonly number[], minGrowth: number): number | undefined {
  const n = values.length;
  const meanX = (n - 1) / 2;
  const meanY = values.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  values.forEach((y, x) => {
    sxy += (x - meanX) * (y - meanY);
    sxx += (x - meanX) ** 2;
    syy += (y - meanY) ** 2;
  });
  if (syy === 0) return undefined;
  const slope = sxy / sxx;
  const r2 = (sxy * sxy) / (sxx * syy);
  const drops = values.filter((y, i) => i > 0 && y < values[i - 1]!).length;
  const rise = values[n - 1]! - values[0]!;
  const steady = slope >= Math.max(minGrowth, Number.EPSILON) && r2 >= 0.9 && rise >= 3 && drops <= (n - 1) / 8;
  return steady ? slope : undefined;
}
