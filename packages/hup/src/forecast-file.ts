import { lstatSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { procStatFields, warnError } from '@bulwark/core';
import type { LeakReport } from './leak-budget.js';

/** What a running leak budget leaves for `bulwark doctor`: its latest forecast, one file per process. */
export interface LeakForecast {
  readonly pid: number;
  /** Field 22 of /proc/<pid>/stat (start time in clock ticks), so a recycled pid is never misread. */
  readonly startTime: string | null;
  readonly updatedAt: string;
  /** Reloads sampled so far. */
  readonly reloads: number;
  /** The latest report of each resource found growing. */
  readonly leaks: readonly LeakReport[];
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Where the forecast of process `pid` of user `uid` lives: `$XDG_RUNTIME_DIR/bulwark-<uid>/hup-<pid>.json`,
 * or under the temp folder (`os.tmpdir()`'s rule) when `env` has no XDG_RUNTIME_DIR. The doctor
 * passes the watched process's own environment.
 */
export function forecastFilePath(pid: number, uid: number, env: Env = process.env): string {
  const tmp = (env.TMPDIR || env.TMP || env.TEMP || '/tmp').replace(/(.)\/+$/, '$1');
  return join(env.XDG_RUNTIME_DIR || tmp, `bulwark-${uid}`, `hup-${pid}.json`);
}

/** Writes the forecast file (0600, in a 0700 folder of this user) and removes it on `remove()`. */
export class ForecastFile {
  readonly path = forecastFilePath(process.pid, process.getuid?.() ?? 0);
  readonly #latest = new Map<string, LeakReport>();
  readonly #startTime = procStatFields('/proc/self/stat')?.[19] ?? null;
  #warned = false;
  #removed = false;
  #pruned = false;

  /** Records `reports` and writes the latest forecast; a failure is a warning, never the reload's. */
  write(reloads: number, reports: readonly LeakReport[]): void {
    if (this.#removed) return;
    for (const report of reports) this.#latest.set(report.resource, report);
    const forecast: LeakForecast = {
      pid: process.pid,
      startTime: this.#startTime,
      updatedAt: new Date().toISOString(),
      reloads,
      leaks: [...this.#latest.values()],
    };
    const dir = dirname(this.path);
    try {
      const unsafe = unsafeDir(dir);
      if (unsafe) return this.#warn(unsafe);
      if (!this.#pruned) pruneDead(dir);
      this.#pruned = true;
      const tmp = join(dir, `.hup-${process.pid}.json.tmp`);
      writeFileSync(tmp, `${JSON.stringify(forecast)}\n`, { mode: 0o600 });
      renameSync(tmp, this.path);
    } catch (error) {
      this.#warn(error);
    }
  }

  /** Removes the file; later writes do nothing. */
  remove(): void {
    this.#removed = true;
    try {
      rmSync(this.path, { force: true });
    } catch (error) {
      warnError('hup', 'BULWARK_HUP_FORECAST_NOT_REMOVED', `leak forecast ${this.path} not removed`, error);
    }
  }

  #warn(problem: unknown): void {
    if (!this.#warned) warnError('hup', 'BULWARK_HUP_FORECAST_NOT_WRITTEN', `leak forecast not written to ${this.path}`, problem);
    this.#warned = true;
  }
}

/** Removes the files of processes that ended without close() (killed, crashed). */
function pruneDead(dir: string): void {
  for (const name of readdirSync(dir)) {
    const pid = Number(/^hup-(\d+)\.json$/.exec(name)?.[1]);
    if (pid && !alive(pid)) rmSync(join(dir, name), { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0 delivers nothing: it only asks whether the pid exists
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Makes `dir` (0700) when missing; says what is wrong when it is not a folder of this user closed to others. */
function unsafeDir(dir: string): string | undefined {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  const uid = process.getuid?.() ?? 0;
  if (stat.isDirectory() && stat.uid === uid && (stat.mode & 0o077) === 0) return undefined;
  return `${dir} is not a folder of uid ${uid} closed to other users`;
}
