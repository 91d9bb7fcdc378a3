import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { logrotate, type Logrotate } from '../dist/index.js';

describe('logrotate runner', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  function logsDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'rig-logs-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }
  function runner(options: Parameters<typeof logrotate>[0]): Logrotate {
    const r = logrotate(options);
    cleanups.push(() => r.remove());
    return r;
  }

  it('rotates with the real binary in create mode: the old log moves to .1 and a new empty one appears', async () => {
    const dir = logsDir();
    const log = join(dir, 'app.log');
    writeFileSync(log, 'before rotation\n');
    const rotate = runner({ logs: [log] });
    await rotate.rotateOrThrow();
    expect(readFileSync(`${log}.1`, 'utf8')).toBe('before rotation\n');
    expect(statSync(log).size).toBe(0);
  });

  it('keeps its state in a private file, never the machine-wide status file', async () => {
    const dir = logsDir();
    const log = join(dir, 'app.log');
    writeFileSync(log, 'x\n');
    const rotate = runner({ logs: [log] });
    await rotate.rotateOrThrow();
    expect(rotate.statePath.startsWith(rotate.dir)).toBe(true);
    expect(readFileSync(rotate.statePath, 'utf8')).toContain(log);
  });

  it('runs postrotate once per log without sharedscripts, and once in all with it', async () => {
    const dir = logsDir();
    const logs = [join(dir, 'a.log'), join(dir, 'b.log')];
    for (const log of logs) writeFileSync(log, '');
    const marks = join(dir, 'marks');
    await runner({ logs, postrotate: [`echo run >> ${marks}`] }).rotateOrThrow();
    expect(readFileSync(marks, 'utf8').trim().split('\n')).toHaveLength(2);
    rmSync(marks);
    await runner({ logs, postrotate: [`echo run >> ${marks}`], sharedscripts: true }).rotateOrThrow();
    expect(readFileSync(marks, 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('rotates empty logs (ifempty) unless told notifempty', async () => {
    const dir = logsDir();
    const log = join(dir, 'empty.log');
    writeFileSync(log, '');
    await runner({ logs: [log], ifempty: false }).rotateOrThrow();
    expect(existsSync(`${log}.1`)).toBe(false);
    await runner({ logs: [log] }).rotateOrThrow();
    expect(existsSync(`${log}.1`)).toBe(true);
  });

  it('reports a failing run with its exit code and output', async () => {
    const dir = logsDir();
    const log = join(dir, 'app.log');
    writeFileSync(log, 'x\n');
    const run = await runner({ logs: [log], postrotate: ['exit 3'] }).rotate();
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/error/i);
  });
});
