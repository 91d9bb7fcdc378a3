import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../dist/index.js';
import { Leftovers } from './doctor-helpers.js';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const left = new Leftovers();
afterEach(() => left.remove());

/** Runs the built `bulwark` bin to its end; a run still going after 30 s is a failure (something held it open). */
async function bulwark(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const [code] = await once(child, 'close');
  clearTimeout(timer);
  return { code, stdout, stderr };
}

describe('npx bulwark doctor', () => {
  it('prints a table with the evidence and the fix, and exits 1 when it finds a hazard', async () => {
    const child = await left.start('service.cjs', { env: { HUP: 'none' } });
    const run = await bulwark('doctor', '--pid', String(child.pid), '--sample-ms', '200');
    expect(run).toMatchObject({ code: 1, stderr: '' });
    expect(run.stdout).toMatch(/^bulwark doctor: 1 process, 1 hazard \(sampled over 0\.2 s\)\n\npid \d+ {2}uid \d+/);
    expect(run.stdout).toMatch(/\n {2}HAZARD {3}sighup {5}SIGHUP is neither caught nor ignored/);
    expect(run.stdout).toContain(`read: /proc/${child.pid}/status: SigCgt`);
    expect(run.stdout).toContain('fix: catch it: onHup(reload)');
    expect(run.stdout).toMatch(/\n {2}ok {7}deaf {7}no listening socket\n/);
  });

  it('exits 0 for the same service with the hup guard, and --json gives the whole report', async () => {
    const child = await left.start('service.cjs', { env: { HUP: 'guard' } });
    const run = await bulwark('doctor', '--pid', String(child.pid), '--json', '--sample-ms', '200');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as DoctorReport;
    expect(report).toMatchObject({ root: '/', sampleMs: 200, hazards: 0, processes: [{ pid: child.pid, gone: false }] });
    expect(report.processes[0]!.findings.map((f) => f.check)).toEqual(['sighup', 'fds', 'ipc', 'logrotate', 'deaf', 'stalled']);
  });

  it('takes several --pid, and without any examines the Node processes of this user but not itself', async () => {
    const [a, b] = await Promise.all([left.start('service.cjs'), left.start('service.cjs', { env: { HUP: 'guard' } })]);
    const named = JSON.parse(
      (await bulwark('doctor', '--pid', String(a.pid), '--pid', String(b.pid), '--json', '--sample-ms', '0')).stdout,
    ) as DoctorReport;
    expect(named.processes.map((p) => p.pid)).toEqual([a.pid, b.pid]);
    // --sample-ms 0 leaves out the two sampled checks.
    expect(named.processes[0]!.findings.map((f) => f.check)).toEqual(['sighup', 'fds', 'ipc', 'logrotate']);
    const all = JSON.parse((await bulwark('doctor', '--json', '--sample-ms', '0')).stdout) as DoctorReport;
    const pids = all.processes.map((p) => p.pid);
    expect(pids).toEqual(expect.arrayContaining([a.pid, b.pid]));
    // Neither the doctor's own process nor the test runner that started it.
    expect(pids).not.toContain(process.pid);
    expect(all.processes.every((p) => !p.command.includes('dist/bin.js doctor'))).toBe(true);
  });

  it('exits 2 naming the bad argument, or the process that does not exist', async () => {
    expect(await bulwark('doctor', '--pid', 'abc')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--pid must be a whole number, got 'abc'"),
    });
    expect(await bulwark('doctor', '--frobnicate')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("Unknown option '--frobnicate'"),
    });
    expect(await bulwark('doctor', '--pid', String(2 ** 22 + 1))).toMatchObject({
      code: 2,
      stderr: `bulwark doctor: no process ${2 ** 22 + 1} in /proc\n`,
    });
    expect(await bulwark('unknown')).toMatchObject({ code: 2, stderr: expect.stringContaining('bulwark: unknown command unknown') });
    expect(await bulwark('doctor', '--help')).toMatchObject({ code: 0, stdout: expect.stringContaining('usage: bulwark doctor') });
  });
});
