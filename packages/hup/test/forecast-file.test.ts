import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type LeakForecast, forecastFilePath, onHup } from '../dist/index.js';

const leaked: number[] = [];
afterEach(() => leaked.splice(0).forEach((fd) => closeSync(fd)));

const path = forecastFilePath(process.pid, process.getuid!());
const read = () => JSON.parse(readFileSync(path, 'utf8')) as LeakForecast;

describe('the leak budget leaves its forecast for bulwark doctor', () => {
  it('writes a 0600 file in a 0700 folder as soon as the guard runs, and removes it on close', async () => {
    const guard = onHup(() => {}, { leakBudget: true });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(path)).mode & 0o777).toBe(0o700);
    const stat = readFileSync('/proc/self/stat', 'latin1');
    const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    expect(read()).toMatchObject({ pid: process.pid, startTime, reloads: 0, leaks: [] });
    await guard.close();
    expect(existsSync(path)).toBe(false);
  });

  it('holds the latest fd leak with the reloads left, after each reload', async () => {
    const guard = onHup(() => void leaked.push(openSync('/dev/null', 'r')), { leakBudget: true });
    for (let i = 0; i < 12; i++) await guard.reload();
    const forecast = read();
    expect(forecast.reloads).toBe(12);
    const fd = forecast.leaks.find((l) => l.resource === 'fd');
    expect(fd).toMatchObject({ limitName: 'RLIMIT_NOFILE (soft)' });
    expect(fd!.growthPerReload).toBeCloseTo(1, 1);
    expect(fd!.reloadsLeft).toBeGreaterThan(0);
    await guard.close();
    expect(existsSync(path)).toBe(false);
  });

  it('removes the files that processes killed before close() left behind', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const stale = forecastFilePath(dead, process.getuid!());
    const guard = onHup(() => {}, { leakBudget: true });
    writeFileSync(stale, '{}', { mode: 0o600 });
    await guard.close();
    const next = onHup(() => {}, { leakBudget: true });
    expect(existsSync(stale)).toBe(false);
    await next.close();
  });

  it('puts the file under XDG_RUNTIME_DIR when the process has one, else under the temp folder', () => {
    expect(forecastFilePath(42, 1000, { XDG_RUNTIME_DIR: '/run/user/1000' })).toBe('/run/user/1000/bulwark-1000/hup-42.json');
    expect(forecastFilePath(42, 1000, { TMPDIR: '/var/tmp/' })).toBe('/var/tmp/bulwark-1000/hup-42.json');
    expect(forecastFilePath(42, 1000, {})).toBe('/tmp/bulwark-1000/hup-42.json');
  });
});
