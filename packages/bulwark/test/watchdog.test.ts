import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type NodeChild, spawnNode, stopAll } from '@bulwark/test-rig';
import { enable } from '../dist/index.js';

const fixture = (name: string) => join(import.meta.dirname, 'fixtures', name);
// Run from the package folder, where `bulwark/register` resolves to this package itself.
const cwd = join(import.meta.dirname, '..');
const children: NodeChild[] = [];
afterEach(async () => {
  await stopAll(children.splice(0));
});

describe('the watchdog flag', () => {
  it('enable({ watchdog }) starts a watchdog that probes the given server and closes with the rest', async () => {
    const probes: string[] = [];
    const server = http.createServer((req, res) => {
      probes.push(`${req.method} ${req.url} ${req.headers['user-agent']}`);
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const guards = enable({ watchdog: { stallMs: 200, probe: { server, path: '/healthz', intervalMs: 50 } } });
    expect(guards.guards.watchdog).toBeDefined();
    await expect.poll(() => probes.length, { timeout: 10_000, interval: 50 }).toBeGreaterThan(0);
    expect(probes[0]).toBe('GET /healthz bulwark-watchdog');
    await guards.close();
    expect(process.listenerCount('SIGURG')).toBe(0);
    server.close();
  });

  it("enable({ watchdog: true }) hands back the watchdog itself, which probes the first server to listen ('first')", async () => {
    const probes: string[] = [];
    const guards = enable({ watchdog: { stallMs: 200, probe: { path: '/ready', intervalMs: 50 } } });
    // Typed as the watchdog: its own API, not only close().
    guards.guards.watchdog!.setState({ job: 'warm-up' });
    const server = http.createServer((req, res) => {
      probes.push(`${req.method} ${req.url}`);
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    await expect.poll(() => probes.length, { timeout: 10_000, interval: 50 }).toBeGreaterThan(0);
    expect(probes[0]).toBe('GET /ready');
    await guards.close();
    server.close();
  });

  it('BULWARK_WATCHDOG=1 with --import finds the first HTTP server the app starts and reports it deaf', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-watchdog-'));
    const child = spawnNode(fixture('server.mjs'), {
      cwd,
      execArgv: ['--import', 'bulwark/register'],
      env: { BULWARK_WATCHDOG: '1', TMPDIR: dir },
    });
    children.push(child);
    await child.line(/^listening/);
    await expect.poll(() => child.stderr, { timeout: 20_000, interval: 200 }).toMatch(/BulwarkWarning: event loop deaf/);
    expect(readdirSync(dir).filter((f) => f.endsWith('-deaf.json'))).toHaveLength(1);
    expect(child.running).toBe(true);
  });

  it('BULWARK_WATCHDOG as JSON options can end a deaf app with exit code 70', async () => {
    const options = { stallMs: 500, onStall: 'exit', reportDir: mkdtempSync(join(tmpdir(), 'bulwark-watchdog-')) };
    const child = spawnNode(fixture('server.mjs'), {
      cwd,
      execArgv: ['--import', 'bulwark/register'],
      env: { BULWARK_WATCHDOG: JSON.stringify(options) },
    });
    children.push(child);
    expect(await child.exited).toEqual({ code: 70, signal: null });
    expect(readdirSync(options.reportDir)).toHaveLength(1);
  });

  it('probes the first server on the path given in BULWARK_WATCHDOG, and rejects a bad one before the app runs', async () => {
    expect(() => enable({ watchdog: { probe: { path: 'healthz' } } })).toThrow(/probe.path must be a string matching/);
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-watchdog-'));
    const options = { stallMs: 500, reportDir: dir, probe: { path: '/healthz', failures: 2 } };
    const child = spawnNode(fixture('server.mjs'), {
      cwd,
      execArgv: ['--import', 'bulwark/register'],
      env: { BULWARK_WATCHDOG: JSON.stringify(options) },
    });
    children.push(child);
    // A report appears whole, under its final name.
    const written = () => readdirSync(dir).filter((name) => name.endsWith('.json'));
    await expect.poll(() => written().length, { timeout: 20_000, interval: 200 }).toBe(1);
    const report = JSON.parse(readFileSync(join(dir, written()[0]!), 'utf8'));
    expect(report).toMatchObject({
      kind: 'deaf',
      probe: { failures: 2, target: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/healthz$/) },
    });
  });

  /** `app` under the flag (stallMs 500), run to its end; its reports go to `dir`. */
  async function blockedUnderFlag(app: string, preload: string[]) {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-watchdog-'));
    const child = spawnNode(fixture(app), {
      cwd,
      execArgv: preload,
      env: { BULWARK_WATCHDOG: JSON.stringify({ stallMs: 500, reportDir: dir }) },
    });
    children.push(child);
    expect(await child.exited).toEqual({ code: 0, signal: null });
    return { child, dir };
  }

  it('-r bulwark/register watches a CommonJS app and names the function that blocked it', async () => {
    const { child, dir } = await blockedUnderFlag('busy.cjs', ['-r', 'bulwark/register']);
    expect(child.stderr).toMatch(/event loop blocked in rebuildIndexSynchronously/);
    expect(readdirSync(dir)).toHaveLength(1);
  });

  it('with the flag every worker thread is watched too: one that blocks is named, with the function', async () => {
    const { child, dir } = await blockedUnderFlag('busy-worker.mjs', ['--import', 'bulwark/register']);
    // Node 22+ tells a thread its Worker's name; on Node 20 it goes by its threadId.
    const name = 'threadName' in (await import('node:worker_threads')) ? 'indexer' : 'worker \\d+';
    expect(child.stderr).toMatch(new RegExp(`worker thread "${name}" blocked in rebuildShardSynchronously \\(`));
    expect(readdirSync(dir)).toEqual([expect.stringMatching(/-blocked-thread\d+\.json$/)]);
  });
});
