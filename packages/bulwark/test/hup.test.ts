import { type NodeChild, logrotate, spawnNode, stopAll } from '@bulwark/test-rig';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { enable } from '../dist/index.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const fixture = (name: string) => join(packageDir, 'test/fixtures', name);
const children: NodeChild[] = [];
const cleanups: Array<() => void> = [];
afterEach(async () => {
  await stopAll(children.splice(0));
  cleanups.splice(0).forEach((c) => c());
});

const reloadLines = (child: NodeChild) => child.stdout.split('\n').filter((l) => l.startsWith('reload '));

async function rotatedApp(script: string, execArgv: string[], env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-hup-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'app.log');
  const child = spawnNode(fixture(script), { cwd: packageDir, execArgv, env: { LOG: log, ...env } });
  children.push(child);
  await child.line(/^ready/);
  await sleep(50);
  const rotate = logrotate({ logs: [log], postrotate: [`kill -HUP ${child.pid}`, `kill -HUP ${child.pid}`] });
  cleanups.push(() => rotate.remove());
  await rotate.rotateOrThrow();
  await child.line(/^reload /);
  await sleep(500);
  return { child, log };
}

describe('the hup flag', () => {
  it('enable({ hup: { reload } }) runs the reload once for a burst of HUPs, and close() removes its listener', async () => {
    const listeners = process.listenerCount('SIGHUP');
    let reloads = 0;
    const guards = enable({ hup: { reload: () => void reloads++, coalesceMs: 20 } });
    expect(process.listenerCount('SIGHUP')).toBe(listeners + 1);
    for (let i = 0; i < 5; i++) process.emit('SIGHUP', 'SIGHUP');
    await sleep(200);
    expect(reloads).toBe(1);
    await guards.close();
    expect(process.listenerCount('SIGHUP')).toBe(listeners);
  });

  it('rejects an unknown hup option, naming it', () => {
    expect(() => enable({ hup: { coalesceMs: 'soon' } as never })).toThrow(/coalesceMs must be/);
  });

  it('BULWARK_HUP=1 node --import bulwark/register: the app survives a double HUP from logrotate, its registered log is reopened, one reload is published', async () => {
    const { child, log } = await rotatedApp('hup-app.mjs', ['--import', 'bulwark/register'], { BULWARK_HUP: '1' });
    expect(child.running).toBe(true);
    expect(reloadLines(child)).toHaveLength(1);
    expect(JSON.parse(reloadLines(child)[0]!.slice(7))).toMatchObject({ reopened: 1 });
    expect(readFileSync(`${log}.1`, 'utf8')).toBe('before rotation\n');
    expect(readFileSync(log, 'utf8')).toBe('after reload 1\n');
  });

  it('BULWARK_HUP with JSON options and node -r bulwark/register (CommonJS, registerReopen) does the same', async () => {
    const { child, log } = await rotatedApp('hup-app.cjs', ['-r', 'bulwark/register'], { BULWARK_HUP: '{"coalesceMs":300}' });
    expect(child.running).toBe(true);
    expect(reloadLines(child)).toHaveLength(1);
    expect(readFileSync(log, 'utf8')).toBe('after reload 1\n');
  });

  it('in a worker thread (which inherits --import bulwark/register) the flag installs no SIGHUP listener', async () => {
    const child = spawnNode(fixture('hup-worker.mjs'), {
      cwd: packageDir,
      execArgv: ['--import', 'bulwark/register'],
      env: { BULWARK_HUP: '1' },
    });
    children.push(child);
    await child.exited;
    const report = JSON.parse(child.stdout.trim().split('\n').at(-1)!);
    expect(report).toEqual({ main: 1, worker: { sighup: 0, hup: true } });
  });

  it('without the flag the same app dies of the first HUP', async () => {
    const child = spawnNode(fixture('hup-app.mjs'), { cwd: packageDir, env: { LOG: join(tmpdir(), `bulwark-hup-${process.pid}.log`) } });
    children.push(child);
    cleanups.push(() => rmSync(join(tmpdir(), `bulwark-hup-${process.pid}.log`), { force: true }));
    await child.line(/^ready/);
    child.kill('SIGHUP');
    expect((await child.exited).signal).toBe('SIGHUP');
  });
});
