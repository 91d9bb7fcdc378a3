import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type FaultProxy, type MariaDbAddress, sharedMariaDb, startFaultProxy } from '@bulwark/test-rig';

let db: MariaDbAddress;
let proxy: FaultProxy;
const through = () => ({ ...db, socketPath: undefined, host: proxy.host, port: proxy.port });

beforeAll(async () => {
  db = sharedMariaDb(inject('mariadb'));
  proxy = await startFaultProxy(db);
  const conn = await mysql.createConnection(db);
  await conn.query('CREATE TABLE IF NOT EXISTS proxy_writes (id INT AUTO_INCREMENT PRIMARY KEY, tag VARCHAR(20))');
  await conn.end();
});
afterAll(async () => proxy?.close());

describe('fault proxy', () => {
  it('passes queries through untouched when no fault is armed', async () => {
    const conn = await mysql.createConnection(through());
    const [rows] = await conn.query('SELECT ? AS v', ['hello']);
    expect(rows).toEqual([{ v: 'hello' }]);
    await conn.end();
  });

  it('reproduces the story: a reset after the request, before the answer, is a lost connection in raw mysql2', async () => {
    proxy.clear().fault({ kind: 'reset-before-answer', count: 1, match: /^SELECT/ });
    const conn = await mysql.createConnection(through());
    const error = await conn.query('SELECT 42 AS answer').catch((e: unknown) => e);
    expect(error).toMatchObject({ fatal: true });
    expect(['PROTOCOL_CONNECTION_LOST', 'ECONNRESET']).toContain((error as { code: string }).code);
    expect(proxy.log.at(-1)).toMatchObject({ kind: 'reset-before-answer', sql: 'SELECT 42 AS answer' });
    conn.destroy();
  });

  it('closes in order after the request, before the answer: raw mysql2 sees the server close the connection', async () => {
    proxy.clear().fault({ kind: 'close-before-answer', count: 1, match: /^SELECT/ });
    const conn = await mysql.createConnection(through());
    const error = await conn.query('SELECT 43 AS answer').catch((e: unknown) => e);
    expect(error).toMatchObject({ fatal: true, code: 'PROTOCOL_CONNECTION_LOST' });
    expect(proxy.log.at(-1)).toMatchObject({ kind: 'close-before-answer', sql: 'SELECT 43 AS answer' });
    conn.destroy();
  });

  it('leaves the handshake alone: the fault waits for the first command', async () => {
    proxy.clear().fault({ kind: 'reset-before-answer', count: 1 });
    const before = proxy.fired();
    const conn = await mysql.createConnection(through());
    expect(proxy.fired()).toBe(before);
    await expect(conn.query('SELECT 1')).rejects.toMatchObject({ fatal: true });
    expect(proxy.fired()).toBe(before + 1);
    conn.destroy();
  });

  it('forwards the request it resets: the server may have run it (a write in doubt)', async () => {
    proxy.clear().fault({ kind: 'reset-before-answer', count: 1, match: /^INSERT/ });
    const conn = await mysql.createConnection(through());
    await expect(conn.query("INSERT INTO proxy_writes (tag) VALUES ('doubt')")).rejects.toMatchObject({ fatal: true });
    conn.destroy();
    const check = await mysql.createConnection(db);
    await expect
      .poll(
        async () => ((await check.query("SELECT COUNT(*) AS n FROM proxy_writes WHERE tag = 'doubt'"))[0] as Array<{ n: number }>)[0]!.n,
      )
      .toBe(1);
    await check.end();
  });

  it('resets after N bytes of the answer', async () => {
    proxy.clear().fault({ kind: 'reset-after-bytes', bytes: 10, count: 1 });
    const conn = await mysql.createConnection(through());
    await expect(conn.query('SELECT REPEAT("x", 1000) AS big')).rejects.toMatchObject({ fatal: true });
    expect(proxy.fired('reset-after-bytes')).toBe(1);
    conn.destroy();
  });

  it('delays a request and still answers it', async () => {
    proxy.clear().fault({ kind: 'delay', ms: 300, count: 1 });
    const conn = await mysql.createConnection(through());
    const started = Date.now();
    expect((await conn.query('SELECT 5 AS n'))[0]).toEqual([{ n: 5 }]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await conn.end();
  });

  it('never answers a blackholed request', async () => {
    proxy.clear().fault({ kind: 'blackhole', count: 1 });
    const conn = await mysql.createConnection(through());
    const outcome = await Promise.race([conn.query('SELECT 1').then(() => 'answered'), new Promise((r) => setTimeout(r, 500, 'silent'))]);
    expect(outcome).toBe('silent');
    conn.destroy();
  });

  it('closes or hangs new connections on connect', async () => {
    proxy.clear().fault({ kind: 'close-on-connect', count: 1 });
    await expect(mysql.createConnection(through())).rejects.toBeInstanceOf(Error);
    proxy.clear().fault({ kind: 'hang-on-connect', count: 1 });
    await expect(mysql.createConnection({ ...through(), connectTimeout: 300 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    expect(proxy.fired('close-on-connect')).toBeGreaterThanOrEqual(1);
    expect(proxy.fired('hang-on-connect')).toBeGreaterThanOrEqual(1);
  });

  it('fires by probability: about half of many commands with probability 0.5', async () => {
    proxy.clear().fault({ kind: 'delay', ms: 0, probability: 0.5 });
    const conn = await mysql.createConnection(through());
    const before = proxy.fired('delay');
    for (let i = 0; i < 200; i++) await conn.query('SELECT 1');
    const fired = proxy.fired('delay') - before;
    expect(fired).toBeGreaterThan(40);
    expect(fired).toBeLessThan(160);
    proxy.clear();
    await conn.end();
  });
});
