import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import http from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Resource, resource } from '@bulwark/breaker';
import { onHup } from '@bulwark/hup';
import { type FaultProxy, type NodeChild, sharedMariaDb, spawnNode, startFaultProxy, stopAll } from '@bulwark/test-rig';
import { startWatchdog } from '@bulwark/watchdog';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { enable } from '../dist/index.js';
import { Backends, valueOf } from './metrics-read.js';

const require = createRequire(import.meta.url);
const mysql = require('mysql2/promise') as typeof import('mysql2/promise');
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const uid = process.getuid!();

const closers: Array<() => unknown> = [];
const children: NodeChild[] = [];
afterEach(async () => {
  await stopAll(children.splice(0));
  for (const close of closers.splice(0).reverse()) await close();
});

function backends(): Backends {
  const b = new Backends();
  closers.push(() => b.close());
  return b;
}

function openResource(name: string, options: Parameters<typeof resource>[1]): Resource {
  const r = resource(name, options);
  closers.push(() => {
    r.close();
    rmSync(`/dev/shm/bulwark.${uid}.${name}`, { force: true });
  });
  return r;
}

function reportDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-metrics-'));
  closers.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (error: { code?: string }) => error.code,
  );
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

describe('mysql metrics', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy(sharedMariaDb(inject('mariadb')));
  });
  afterAll(async () => proxy?.close());

  it('count a read retried after a reset and a write given up in doubt, by reason, in both backends', async () => {
    const b = backends();
    const guards = enable({ mysql: true });
    closers.push(() => guards.close());
    const pool = mysql.createPool({ host: proxy.host, port: proxy.port, user: 'root', database: 'bulwark', connectionLimit: 2 });
    closers.push(() => pool.end());

    proxy.clear().fault({ kind: 'reset-before-answer', count: 1, match: /^SELECT 42/ });
    expect((await pool.query('SELECT 42 AS n'))[0]).toEqual([{ n: 42 }]);
    proxy.clear().fault({ kind: 'reset-before-answer', count: 1, match: /^DO 42/ });
    await expect(pool.query('DO 42')).rejects.toMatchObject({ bulwark: { reason: 'write-in-doubt' } });

    const samples = await b.scrape();
    const retried = samples.filter((s) => s.name === 'bulwark_mysql_retries_total');
    expect(retried).toEqual([
      {
        name: 'bulwark_mysql_retries_total',
        labels: { reason: 'read-lost', code: expect.stringMatching(/ECONNRESET|PROTOCOL_CONNECTION_LOST/) },
        value: 1,
      },
    ]);
    expect(samples.filter((s) => s.name === 'bulwark_mysql_give_ups_total')).toEqual([
      {
        name: 'bulwark_mysql_give_ups_total',
        labels: { reason: 'write-in-doubt', kind: 'write', code: expect.stringMatching(/ECONNRESET|PROTOCOL_CONNECTION_LOST/) },
        value: 1,
      },
    ]);
    expect(await b.otel('bulwark.mysql.retries')).toMatchObject([
      { attributes: { 'bulwark.mysql.retry.reason': 'read-lost', 'error.type': retried[0]!.labels.code }, value: 1 },
    ]);
    expect(await b.otel('bulwark.mysql.give_ups')).toMatchObject([
      { attributes: { 'bulwark.mysql.give_up.reason': 'write-in-doubt', 'bulwark.mysql.statement.kind': 'write' }, value: 1 },
    ]);
  });
});

describe('breaker metrics', () => {
  const name = `metrics_breaker_${process.pid}`;

  it('show tickets in use and configured, rejections by cause, and the circuit opening', async () => {
    const b = backends();
    const r = openResource(name, {
      tickets: 1,
      acquireTimeoutMs: 0,
      circuit: { volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeout: 60_000 },
    });
    let finish!: () => void;
    const slow = r.run(() => new Promise<void>((resolve) => (finish = resolve)));
    expect(await codeOf(r.run(() => 1))).toBe('ERR_BULKHEAD_FULL');
    let samples = await b.scrape();
    expect(valueOf(samples, 'bulwark_breaker_tickets_in_use', { resource: name })).toBe(1);
    expect(valueOf(samples, 'bulwark_breaker_tickets_limit', { resource: name })).toBe(1);
    expect(valueOf(samples, 'bulwark_breaker_state', { resource: name, state: 'closed' })).toBe(1);
    expect(await b.otelValue('bulwark.breaker.tickets.usage', { 'bulwark.breaker.resource': name })).toBe(1);
    expect(await b.otelValue('bulwark.breaker.tickets.limit', { 'bulwark.breaker.resource': name })).toBe(1);
    finish();
    await slow;

    for (let i = 0; i < 2; i++) await codeOf(r.run(() => Promise.reject(new Error('down'))));
    expect(r.state).toBe('open');
    expect(await codeOf(r.run(() => 1))).toBe('ERR_CIRCUIT_OPEN');

    samples = await b.scrape();
    expect(valueOf(samples, 'bulwark_breaker_rejections_total', { resource: name, cause: 'bulkhead-full' })).toBe(1);
    expect(valueOf(samples, 'bulwark_breaker_rejections_total', { resource: name, cause: 'circuit-open' })).toBe(1);
    expect(valueOf(samples, 'bulwark_breaker_state', { resource: name, state: 'open' })).toBe(1);
    expect(valueOf(samples, 'bulwark_breaker_state', { resource: name, state: 'closed' })).toBe(0);
    expect(valueOf(samples, 'bulwark_breaker_state_changes_total', { resource: name, state: 'open' })).toBe(1);
    expect(valueOf(samples, 'bulwark_breaker_tickets_in_use', { resource: name })).toBe(0);
    const attributes = { 'bulwark.breaker.resource': name };
    expect(await b.otelValue('bulwark.breaker.rejections', { ...attributes, 'bulwark.breaker.rejection.cause': 'circuit-open' })).toBe(1);
    expect(await b.otelValue('bulwark.breaker.rejections', { ...attributes, 'bulwark.breaker.rejection.cause': 'bulkhead-full' })).toBe(1);
    expect(await b.otelValue('bulwark.breaker.state', { ...attributes, 'bulwark.breaker.circuit.state': 'open' })).toBe(1);
  });

  it('count shared memory re-created after it vanished, and tickets reclaimed from a holder killed with SIGKILL', async () => {
    const b = backends();
    const shared = `${name}_ipc`;
    const r = openResource(shared, { tickets: 4 });
    const holder = spawnNode(fixture('hold-ticket.mjs'), { cwd: packageDir, args: [shared] });
    children.push(holder);
    await holder.line(/^holding/);
    holder.kill('SIGKILL');
    await holder.exited;
    const reclaimed = await eventually(
      async () => valueOf(await b.scrape(), 'bulwark_breaker_tickets_reclaimed_total', { resource: shared }),
      (v) => v === 1,
      'tickets reclaimed',
    );
    expect(reclaimed).toBe(1);
    expect(await b.otelValue('bulwark.breaker.tickets.reclaimed', { 'bulwark.breaker.resource': shared })).toBe(1);

    rmSync(`/dev/shm/bulwark.${uid}.${shared}`); // what systemd-logind's RemoveIPC does
    await eventually(
      async () => valueOf(await b.scrape(), 'bulwark_breaker_ipc_recreated_total', { resource: shared }),
      (v) => v === 1,
      'ipc re-created',
    );
    expect(await b.otelValue('bulwark.breaker.ipc.recreations', { 'bulwark.breaker.resource': shared })).toBe(1);
    expect(r.closed).toBe(false);
  });
});

describe('hup metrics', () => {
  it('count reloads by trigger and errors by reason, time them, and forecast the reloads a leak leaves', async () => {
    const b = backends();
    const leaked: number[] = [];
    closers.push(() => leaked.forEach((fd) => closeSync(fd)));
    let fail = false;
    const guard = onHup(
      () => {
        for (let i = 0; i < 3; i++) leaked.push(openSync('/dev/null', 'r')); // three descriptors per reload, never closed
        if (fail) throw new Error('bad config');
      },
      { coalesceMs: 10, leakBudget: { window: 8, minReloads: 4 } },
    );
    closers.push(() => guard.close());
    process.kill(process.pid, 'SIGHUP');
    await once(guard, 'reload');
    for (let i = 0; i < 5; i++) expect((await guard.reload()).ok).toBe(true);
    fail = true;
    expect(await guard.reload()).toMatchObject({ ok: false, reason: 'threw' });

    const samples = await b.scrape();
    expect(valueOf(samples, 'bulwark_hup_reloads_total', { trigger: 'signal', outcome: 'ok' })).toBe(1);
    expect(valueOf(samples, 'bulwark_hup_reloads_total', { trigger: 'call', outcome: 'ok' })).toBe(5);
    expect(valueOf(samples, 'bulwark_hup_reloads_total', { trigger: 'call', outcome: 'error' })).toBe(1);
    expect(valueOf(samples, 'bulwark_hup_reload_errors_total', { reason: 'threw' })).toBe(1);
    expect(valueOf(samples, 'bulwark_hup_signals_total')).toBeGreaterThanOrEqual(1);
    expect(valueOf(samples, 'bulwark_hup_reload_duration_seconds_count', { outcome: 'ok' })).toBe(6);
    expect(valueOf(samples, 'bulwark_hup_reload_duration_seconds_bucket', { outcome: 'ok', le: '+Inf' })).toBe(6);
    const left = valueOf(samples, 'bulwark_hup_leak_reloads_left', { resource: 'fd' });
    expect(left).toBeGreaterThan(0);
    expect(valueOf(samples, 'bulwark_hup_leak_growth_per_reload', { resource: 'fd' })).toBeGreaterThanOrEqual(2);

    expect(await b.otelValue('bulwark.hup.reloads', { 'bulwark.hup.reload.trigger': 'call', 'bulwark.hup.reload.outcome': 'ok' })).toBe(5);
    expect(await b.otelValue('bulwark.hup.reload.errors', { 'error.type': 'threw' })).toBe(1);
    expect(await b.otelValue('bulwark.hup.reload.duration', { 'bulwark.hup.reload.outcome': 'ok' })).toMatchObject({ count: 6 });
    expect(await b.otelValue('bulwark.hup.leak.reloads_left', { 'bulwark.hup.leak.resource': 'fd' })).toBe(left);
  });
});

describe('watchdog metrics', () => {
  it('count a blocked event loop and time the stall from start to recovery', async () => {
    const b = backends();
    const watchdog = startWatchdog({ stallMs: 200, reportDir: reportDir(), kick: false });
    closers.push(() => watchdog.close());
    await sleep(300); // the thread is up and has seen heartbeats
    const recovered = once(watchdog, 'recover');
    const end = Date.now() + 1500;
    while (Date.now() < end); // the event loop blocked for real
    await recovered;

    const samples = await b.scrape();
    expect(valueOf(samples, 'bulwark_watchdog_stalls_total', { kind: 'blocked' })).toBe(1);
    expect(valueOf(samples, 'bulwark_watchdog_stall_duration_seconds_count', { kind: 'blocked' })).toBe(1);
    expect(valueOf(samples, 'bulwark_watchdog_stall_duration_seconds_sum', { kind: 'blocked' })).toBeGreaterThan(0.2);
    expect(await b.otelValue('bulwark.watchdog.stalls', { 'bulwark.watchdog.stall.kind': 'blocked' })).toBe(1);
    expect(await b.otelValue('bulwark.watchdog.stall.duration', { 'bulwark.watchdog.stall.kind': 'blocked' })).toMatchObject({ count: 1 });
  });

  it('count a deaf server and the kick that woke it', async () => {
    const b = backends();
    const parked: http.ServerResponse[] = [];
    let deaf = false;
    const server = http.createServer((_, res) => (deaf ? parked.push(res) : res.end('ok')));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    closers.push(() => new Promise((resolve) => server.close(resolve)));
    // Stands in for a lost wakeup: deaf until a signal reaches the process.
    const wake = () => {
      deaf = false;
      for (const res of parked.splice(0)) res.end('ok');
    };
    process.once('SIGURG', wake);
    closers.push(() => process.removeListener('SIGURG', wake));
    const watchdog = startWatchdog({
      stallMs: 500,
      reportDir: reportDir(),
      probe: { server, timeoutMs: 2000, intervalMs: 300, failures: 2 },
    });
    closers.push(() => watchdog.close());
    deaf = true;
    await once(watchdog, 'recover');

    const samples = await b.scrape();
    expect(valueOf(samples, 'bulwark_watchdog_stalls_total', { kind: 'deaf' })).toBe(1);
    expect(valueOf(samples, 'bulwark_watchdog_kicks_total', { helped: 'true' })).toBe(1);
    expect(valueOf(samples, 'bulwark_watchdog_stall_duration_seconds_count', { kind: 'deaf' })).toBe(1);
    expect(await b.otelValue('bulwark.watchdog.kicks', { 'bulwark.watchdog.kick.helped': 'true' })).toBe(1);
  });
});
