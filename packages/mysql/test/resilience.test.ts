import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, MariaDb, type MariaDbAddress } from '@bulwark/test-rig';
import { createPool } from '../dist/index.js';
import { direct, rig } from './helpers.js';

let db: MariaDbAddress;
let proxy: FaultProxy;
let through: mysql.PoolOptions;

beforeAll(async () => {
  ({ db, proxy, through } = await rig());
  await direct(db, 'DROP TABLE IF EXISTS orders', 'CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, request INT NOT NULL)');
});
afterAll(async () => proxy?.close());

describe('connections that die under the caller', () => {
  it('a server-side KILL of an idle pooled connection: the next read succeeds', async () => {
    const pool = createPool({ ...through, connectionLimit: 1 });
    const [[{ id }]] = (await pool.query('SELECT CONNECTION_ID() AS id')) as unknown as [[{ id: number }]];
    await direct(db, `KILL ${id}`);
    // CONNECTION_ID() is session-dependent, so it is not retried: the read that proves it is plain.
    expect((await pool.query('SELECT 1 AS ok'))[0]).toEqual([{ ok: 1 }]);
    const [[after]] = (await pool.query('SELECT CONNECTION_ID() AS id')) as unknown as [[{ id: number }]];
    expect(after.id).not.toBe(id);
    await pool.end();
  });

  it('raw mysql2 fails the same read when the kill lands between its write and the answer', async () => {
    const raw = mysql.createPool({ ...through, connectionLimit: 1 });
    proxy.fault({ kind: 'reset-before-answer', count: 1, match: /^SELECT 'story'/ });
    await expect(raw.query("SELECT 'story'")).rejects.toMatchObject({ fatal: true });
    const wrapped = createPool({ ...through, connectionLimit: 1 });
    proxy.fault({ kind: 'reset-before-answer', count: 1, match: /^SELECT 'story'/ });
    await expect(wrapped.query("SELECT 'story'")).resolves.toBeDefined();
    await Promise.all([raw.end(), wrapped.end()]);
    proxy.clear();
  });

  it('exactly-once writes under resets: no duplicate rows, a write sent is never sent again, one never sent is not stored', async () => {
    const pool = createPool({ ...through, connectionLimit: 4 });
    proxy.fault({ kind: 'reset-before-answer', probability: 0.3, match: /^INSERT INTO orders/ });
    proxy.fault({ kind: 'close-on-connect', probability: 0.2 });
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, (_, request) =>
        pool.query('INSERT INTO orders (request) VALUES (?)', [request]).then(
          () => 'ok',
          (error: Error & { bulwark?: { reason: string } }) => error.bulwark?.reason ?? `untagged ${error.message}`,
        ),
      ),
    );
    proxy.clear();
    const failed = outcomes.filter((o) => o !== 'ok');
    expect(failed).toContain('write-in-doubt');
    // A write gives up sent (write-in-doubt) or, rarely, after every connect was closed on it.
    expect(failed.filter((o) => o !== 'write-in-doubt' && o !== 'attempts-exhausted')).toEqual([]);
    const [rows] = (await pool.query('SELECT request, COUNT(*) AS n FROM orders GROUP BY request')) as unknown as [
      Array<{ request: number; n: number }>,
    ];
    expect(rows.filter((r) => r.n > 1)).toEqual([]);
    const stored = new Set(rows.map((r) => r.request));
    outcomes.forEach((o, request) => o === 'ok' && expect(stored.has(request)).toBe(true));
    outcomes.forEach((o, request) => o === 'attempts-exhausted' && expect(stored.has(request)).toBe(false));
    await pool.end();
  });
});

describe('a MariaDB restart during a read load', () => {
  let own: MariaDb;
  afterAll(async () => own?.close());

  it('reads succeed once the server is back, within the deadline; raw mysql2 fails some', async () => {
    own = await MariaDb.start();
    const options = { host: own.host, port: own.port, user: own.user, database: own.database, connectionLimit: 4 };
    const wrapped = createPool(options, { retryReads: { attempts: 100, deadlineMs: 30_000, backoffMs: 50, maxBackoffMs: 250 } });
    const raw = mysql.createPool(options);
    const counts = { wrapped: { ok: 0, failed: 0 }, raw: { ok: 0, failed: 0 } };
    let running = true;
    const load = (pool: mysql.Pool, count: { ok: number; failed: number }) =>
      (async () => {
        while (running)
          await pool.query('SELECT COUNT(*) AS n FROM information_schema.tables').then(
            () => count.ok++,
            () => count.failed++,
          );
      })();
    const loops = [load(wrapped, counts.wrapped), load(wrapped, counts.wrapped), load(raw, counts.raw), load(raw, counts.raw)];
    await new Promise((resolve) => setTimeout(resolve, 300));
    await own.restart();
    const okBefore = counts.wrapped.ok;
    await new Promise((resolve) => setTimeout(resolve, 500));
    running = false;
    await Promise.all(loops);
    expect(counts.wrapped.failed).toBe(0);
    expect(counts.wrapped.ok).toBeGreaterThan(okBefore);
    expect(counts.raw.failed).toBeGreaterThan(0);
    await Promise.all([wrapped.end(), raw.end()]);
  });
});
