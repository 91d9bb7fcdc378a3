import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type FaultProxy, sharedMariaDb, startFaultProxy } from '@bulwark/test-rig';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { enable } from '../dist/index.js';

const mysql = createRequire(import.meta.url)('mysql2/promise') as typeof import('mysql2/promise');
const server = () => sharedMariaDb(inject('mariadb'));
const proxies: FaultProxy[] = [];
const closers: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  for (const proxy of proxies.splice(0)) {
    await proxy.close();
    // Resources are host-wide and outlive the process on purpose; a test removes its own.
    rmSync(`/dev/shm/bulwark.${process.getuid!()}.mysql_${proxy.host}_${proxy.port}`, { force: true });
  }
});

async function proxyToServer(): Promise<FaultProxy> {
  const proxy = await startFaultProxy(server());
  proxies.push(proxy);
  return proxy;
}

function guard(flags: Parameters<typeof enable>[0]) {
  const guards = enable(flags);
  closers.push(() => guards.close());
  return guards;
}

function pool(proxy: FaultProxy) {
  const created = mysql.createPool({ host: proxy.host, port: proxy.port, user: 'root', database: 'bulwark', connectionLimit: 4 });
  closers.push(() => created.end());
  return created;
}

const faultsFired = (proxy: FaultProxy) => proxy.log.length;
const codeOf = (r: PromiseSettledResult<unknown>) => (r.status === 'rejected' ? (r.reason as { code?: string }).code : 'ok');

describe('the breaker flag over mysql2', () => {
  it('sends every statement to a host:port through its bulkhead: past the tickets, ERR_BULKHEAD_FULL at once, never sent', async () => {
    const proxy = await proxyToServer();
    guard({ breaker: { tickets: 1, acquireTimeoutMs: 0 } });
    const db = pool(proxy);
    const before = proxy.counts.commands;
    const results = await Promise.allSettled([1, 2, 3].map(() => db.query('SELECT SLEEP(0.3) AS s')));
    expect(results.map(codeOf).sort()).toEqual(['ERR_BULKHEAD_FULL', 'ERR_BULKHEAD_FULL', 'ok']);
    expect(proxy.counts.commands - before).toBe(1);
  });

  it('gives each MySQL host:port its own resource', async () => {
    const [a, b] = [await proxyToServer(), await proxyToServer()];
    guard({ breaker: { tickets: 1, acquireTimeoutMs: 0 } });
    const results = await Promise.allSettled([pool(a).query('SELECT SLEEP(0.2)'), pool(b).query('SELECT SLEEP(0.2)')]);
    expect(results.map(codeOf)).toEqual(['ok', 'ok']);
  });

  it('opens the circuit after lost connections and then fails fast with ERR_CIRCUIT_OPEN, never retried, never sent', async () => {
    const proxy = await proxyToServer();
    guard({ mysql: true, breaker: { tickets: 4, circuit: { volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeout: 60_000 } } });
    const db = pool(proxy);
    proxy.clear().fault({ kind: 'reset-before-answer', match: /^SELECT 7/ });
    const codes: Array<string | undefined> = [];
    for (let i = 0; i < 4; i++) codes.push(codeOf((await Promise.allSettled([db.query('SELECT 7')]))[0]!));
    expect(codes).toContain('ERR_CIRCUIT_OPEN');
    const sent = faultsFired(proxy);
    const open = await db.query('SELECT 7').catch((error: unknown) => error as { code: string; bulwark?: { retried: boolean } });
    expect(open).toMatchObject({ code: 'ERR_CIRCUIT_OPEN' });
    expect((open as { bulwark?: { retried: boolean } }).bulwark?.retried ?? false).toBe(false);
    expect(faultsFired(proxy)).toBe(sent);
  });

  it('does not count SQL errors against the server: syntax errors never open the circuit', async () => {
    const proxy = await proxyToServer();
    guard({ breaker: { tickets: 4, circuit: { volumeThreshold: 2, errorThresholdPercentage: 10, resetTimeout: 60_000 } } });
    const db = pool(proxy);
    for (let i = 0; i < 10; i++) await expect(db.query('SELEC 1')).rejects.toMatchObject({ code: 'ER_PARSE_ERROR' });
    expect((await db.query('SELECT 1 AS n'))[0]).toEqual([{ n: 1 }]);
  });

  it('opens no resource before a pool is made, and close() puts mysql2 back as it was', async () => {
    const probe = `/dev/shm/bulwark.${process.getuid!()}.mysql_localhost_3306`;
    rmSync(probe, { force: true });
    const { Connection } = createRequire(import.meta.url)('mysql2') as { Connection: { prototype: { addCommand: unknown } } };
    const addCommand = Connection.prototype.addCommand;
    const guards = enable({ breaker: true });
    expect(existsSync(probe)).toBe(false);
    expect(Connection.prototype.addCommand).not.toBe(addCommand);
    await guards.close();
    expect(Connection.prototype.addCommand).toBe(addCommand);
  });

  it('rejects bad resource options at enable(), naming them', () => {
    expect(() => enable({ breaker: { tickets: 0 } })).toThrow('tickets must be an integer from 1 to 1048576, got 0');
    expect(() => enable({ breaker: { quota: 2 } })).toThrow(/quota must be/);
  });
});
