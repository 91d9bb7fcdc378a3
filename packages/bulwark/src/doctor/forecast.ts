import { lstatSync, readFileSync } from 'node:fs';
import { type LeakForecast, forecastFilePath } from '@bulwark/hup';
import type { ProcessIdentity } from './processes.js';
import { procEnviron } from './procfs.js';
import { readOr } from './read.js';

/** The forecast a running @bulwark/hup leak budget left for this process, and where it was read. */
export interface ForecastRead {
  readonly path: string;
  readonly forecast: LeakForecast;
}

/**
 * Reads the leak budget's file of `process`, found with the process's own environment. Only a
 * regular file owned by the process's user, naming this very process (pid and start time), counts.
 */
export function readForecast(process: ProcessIdentity): ForecastRead | undefined {
  const path = forecastFilePath(process.pid, process.uid, procEnviron(process.pid));
  const stat = lstatSync(path, { throwIfNoEntry: false });
  if (!stat?.isFile() || stat.uid !== process.uid) return undefined;
  const forecast = readOr(() => JSON.parse(readFileSync(path, 'utf8')) as LeakForecast, undefined);
  if (forecast?.pid !== process.pid || forecast.startTime !== process.startTime || !Array.isArray(forecast.leaks)) return undefined;
  return { path, forecast };
}
