import diagnostics_channel from 'node:diagnostics_channel';
import type mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FaultProxy, MariaDbAddress } from '@bulwark/test-rig';
import { type QueryOptions, type RetryInfo, createPool } from '../dist/index.js';
import { direct, exactly, failure, rig } from './helpers.js';

let db: MariaDbAddress;
let proxy: FaultProxy;
let through: mysql.PoolOptions;
const retries: RetryInfo[] = [];
const pools: mysql.Pool[] = [];
const pool = (extra: object = {}) => {
  const p = createPool(through, { retryReads: { onRetry: (info) => retries.push(info), ...extra } });
  pools.push(p);
  return p;
};

beforeAll(async () => {
  ({ db, proxy, through } = await rig());
  await direct(
    db,
    'DROP TABLE IF EXISTS rules',
    'CREATE TABLE rules (id INT PRIMARY KEY, n INT)',
    'INSERT INTO rules VALUES (1, 0), (2, 0)',
    'DROP TABLE IF EXISTS rules_log',
    'CREATE TABLE rules_log (id INT AUTO_INCREMENT PRIMARY KEY, tag VARCHAR(40))',
  );
});
afterEach(async () => {
  proxy.clear();
  proxy.log.length = 0;
  retries.length = 0;
  await Promise.all(pools.splice(0).map((p) => p.end()));
});
afterAll(async () => proxy?.close());

const reads = [
  'SELECT n FROM rules WHERE id = 1',
  'SHOW TABLES',
  'DESCRIBE rules',
  'EXPLAIN SELECT * FROM rules',
  'WITH x AS (SELECT 1 AS n) SELECT n FROM x',
  '/* report */ (SELECT n FROM rules WHERE id = 2)',
];
const notReads = [
  'SELECT n INTO @kept FROM rules WHERE id = 1',
  'SELECT n FROM rules WHERE id = 1 FOR UPDATE',
  "SELECT GET_LOCK('rules-lock', 0)",
  "INSERT INTO rules_log (tag) VALUES ('x')",
  'UPDATE rules SET n = n + 1 WHERE id = 2',
  'DELETE FROM rules_log WHERE id = -1',
  "REPLACE INTO rules_log (id, tag) VALUES (1000, 'r')",
  'CREATE TABLE IF NOT EXISTS rules_ddl (id INT)',
];

describe('the request never left the client: any statement is sent again', () => {
  it.each([...reads, ...notReads])('%s succeeds when the first connection is closed on connect', async (sql) => {
    proxy.fault({ kind: 'close-on-connect', count: 1 });
    await expect(pool().query(sql)).resolves.toBeDefined();
    expect(retries).toMatchObject([{ why: 'not-sent', attempt: 1 }]);
  });

  it('a connection the pool still holds but that is already dead is dropped before anything is sent', async () => {
    const p = pool();
    const held = await p.getConnection();
    const threadId = held.threadId;
    held.release();
    // The socket dies; the pool has not seen the close yet when the next write is queued.
    (held.connection as unknown as { stream: { destroy(): void } }).stream.destroy();
    const [rows] = await p.query("INSERT INTO rules_log (tag) VALUES ('after-dead')");
    expect(rows).toMatchObject({ affectedRows: 1 });
    const [[who]] = (await p.query('SELECT CONNECTION_ID() AS id')) as unknown as [[{ id: number }]];
    expect(who.id).not.toBe(threadId);
  });
});

describe('the request was sent and no byte of the answer arrived', () => {
  it.each(reads)('the read %s is retried on a fresh connection and answers', async (sql) => {
    proxy.fault({ kind: 'reset-before-answer', count: 1, match: exactly(sql) });
    const [rows] = await pool().query(sql);
    expect(rows).toBeDefined();
    expect(proxy.fired('reset-before-answer')).toBe(1);
    expect(retries).toMatchObject([{ why: 'read-lost', kind: 'read', code: expect.stringMatching(/ECONNRESET|PROTOCOL_CONNECTION_LOST/) }]);
  });

  it.each(notReads)('%s is never sent twice: write-in-doubt', async (sql) => {
    proxy.fault({ kind: 'reset-before-answer', count: 1, match: exactly(sql) });
    const error = await failure(pool().query(sql));
    expect(error.code).toMatch(/ECONNRESET|PROTOCOL_CONNECTION_LOST/);
    expect(error.bulwark).toEqual({ attempts: 1, retried: false, reason: 'write-in-doubt' });
    expect(retries).toEqual([]);
  });

  it('a read the server closes in order on a new connection before any answer is not sent again; on a connection that answered before it is', async () => {
    const opening = 'SELECT n FROM rules WHERE id = 1';
    proxy.fault({ kind: 'close-before-answer', count: 1, match: exactly(opening) });
    const error = await failure(pool().query(opening));
    expect(error.code).toBe('PROTOCOL_CONNECTION_LOST');
    expect(error.bulwark).toEqual({ attempts: 1, retried: false, reason: 'closed-on-first-statement' });
    expect(retries).toEqual([]);
    // The same close on a connection that has answered before: a server's idle timeout, a failover.
    const p = pool();
    await p.query('SELECT 1');
    const later = 'SELECT n FROM rules WHERE id = 2';
    proxy.fault({ kind: 'close-before-answer', count: 1, match: exactly(later) });
    expect((await p.query(later))[0]).toEqual([{ n: expect.any(Number) }]);
    expect(retries).toMatchObject([{ why: 'read-lost', code: 'PROTOCOL_CONNECTION_LOST' }]);
    expect(proxy.fired('close-before-answer')).toBe(2);
  });

  it('execute() follows the same rules as query(); a write lost at its PREPARE was never run and is sent again', async () => {
    const p = pool();
    proxy.fault({ kind: 'reset-before-answer', count: 1, match: exactly('SELECT n FROM rules WHERE id = ?') });
    expect((await p.execute('SELECT n FROM rules WHERE id = ?', [1]))[0]).toEqual([{ n: 0 }]);
    const update = 'UPDATE rules SET n = n + 1 WHERE id = ?';
    proxy.fault({ kind: 'reset-before-answer', count: 1, match: exactly(update) });
    await expect(p.execute(update, [1])).resolves.toBeDefined();
    expect(retries.at(-1)).toMatchObject({ method: 'execute', kind: 'write', why: 'not-sent' });
    // Lost at the execute itself (the statement is prepared already on the held connection): in doubt.
    const held = await p.getConnection();
    await held.execute(update, [2]);
    proxy.fault({ kind: 'reset-before-answer', count: 1 });
    expect((await failure(held.execute(update, [2]))).bulwark?.reason).toBe('write-in-doubt');
    held.release();
  });

  it('the caller marks a statement { idempotent: true } or { idempotent: false } on the options object', async () => {
    const p = pool();
    const upsert = "INSERT INTO rules_log (id, tag) VALUES (2000, 'same') ON DUPLICATE KEY UPDATE tag = 'same'";
    proxy.fault({ kind: 'reset-before-answer', count: 1, match: exactly(upsert) });
    await expect(p.query({ sql: upsert, idempotent: true } as QueryOptions)).resolves.toBeDefined();
    const read = 'SELECT n FROM rules WHERE id = 2';
    proxy.fault({ kind: 'reset-before-answer', count: 1, match: exactly(read) });
    expect((await failure(p.query({ sql: read, idempotent: false } as QueryOptions))).bulwark?.reason).toBe('write-in-doubt');
  });
});

/**
 * A held connection whose session ran `set`; then `read` is reset once before its answer, and the
 * replay of `set` on each fresh connection is reset `setResets` times.
 */
async function replaysLostUnder(read: string, set: string, setResets: number, extra: object = {}) {
  const held = await pool(extra).getConnection();
  await held.query(set);
  proxy.fault({ kind: 'reset-before-answer', count: 1, match: exactly(read) });
  proxy.fault({ kind: 'reset-before-answer', count: setResets, match: exactly(set) });
  return held;
}

describe('inside a transaction or a session the caller set up, never', () => {
  it.each([...reads, ...notReads])('%s fails with in-transaction after BEGIN', async (sql) => {
    const conn = await pool().getConnection();
    await conn.beginTransaction();
    proxy.fault({ kind: 'reset-before-answer', count: 1, match: exactly(sql) });
    const error = await failure(conn.query(sql));
    expect(error.bulwark).toEqual({ attempts: 1, retried: false, reason: 'in-transaction' });
    conn.release();
  });

  it('state a fresh connection cannot be given pins the session; a plain held connection retries a read', async () => {
    const p = pool();
    const plain = await p.getConnection();
    proxy.fault({ kind: 'reset-before-answer', count: 1, match: exactly('SELECT 7 AS seven') });
    expect((await plain.query('SELECT 7 AS seven'))[0]).toEqual([{ seven: 7 }]);
    plain.release();
    const pinned = await p.getConnection();
    await pinned.query("SET @who = CONCAT('m', 'e')");
    proxy.fault({ kind: 'reset-before-answer', count: 1, match: exactly('SELECT @who AS who') });
    expect((await failure(pinned.query('SELECT @who AS who'))).bulwark?.reason).toBe('in-transaction');
    pinned.release();
  });

  it('SET with literal values is replayed on the fresh connection before the retried read', async () => {
    const held = await pool().getConnection();
    await held.query("SET @who = 'me', time_zone = '+03:00'");
    await held.query('SET NAMES utf8mb4 COLLATE utf8mb4_bin');
    const [[before]] = (await held.query('SELECT CONNECTION_ID() AS id')) as unknown as [[{ id: number }]];
    const read = 'SELECT @who AS who, @@session.time_zone AS tz, @@collation_connection AS coll';
    proxy.fault({ kind: 'reset-before-answer', count: 1, match: exactly(read) });
    expect((await held.query(read))[0]).toEqual([{ who: 'me', tz: '+03:00', coll: 'utf8mb4_bin' }]);
    const [[after]] = (await held.query('SELECT CONNECTION_ID() AS id')) as unknown as [[{ id: number }]];
    expect(after.id).not.toBe(before.id);
    expect(retries).toMatchObject([{ why: 'read-lost' }]);
    held.release();
  });

  it('a SET of a literal reset before its answer is sent again like a read (a connection setup statement does not fail)', async () => {
    const held = await pool().getConnection();
    const set = "SET time_zone = '+04:00'";
    proxy.fault({ kind: 'reset-before-answer', count: 1, match: exactly(set) });
    await expect(held.query(set)).resolves.toBeDefined();
    expect(proxy.fired('reset-before-answer')).toBe(1);
    expect((await held.query('SELECT @@session.time_zone AS tz'))[0]).toEqual([{ tz: '+04:00' }]);
    held.release();
  });

  it('a replayed SET reset on the fresh connection is replayed again, and the session keeps retrying reads afterwards', async () => {
    const set = "SET time_zone = '+05:00'";
    const read = 'SELECT @@session.time_zone AS tz, 1 AS n';
    const held = await replaysLostUnder(read, set, 1);
    expect((await held.query(read))[0]).toEqual([{ tz: '+05:00', n: 1 }]);
    expect(proxy.fired('reset-before-answer')).toBe(2);
    const later = 'SELECT @@session.time_zone AS tz, 2 AS n';
    proxy.fault({ kind: 'reset-before-answer', count: 1, match: exactly(later) });
    expect((await held.query(later))[0]).toEqual([{ tz: '+05:00', n: 2 }]);
    held.release();
  });

  it('a read waiting behind replays lost on fresh connections spends no attempt of its own: only its sends count', async () => {
    const set = "SET time_zone = '+06:00'";
    const read = 'SELECT @@session.time_zone AS tz, 3 AS n';
    const held = await replaysLostUnder(read, set, 3, { attempts: 2 });
    expect((await held.query(read))[0]).toEqual([{ tz: '+06:00', n: 3 }]);
    expect(proxy.fired('reset-before-answer')).toBe(4);
    // One send lost (read-lost), then three fresh connections lost under the replay before the read went out.
    expect(retries.map((r) => [r.why, r.attempt])).toEqual([
      ['read-lost', 1],
      ['not-sent', 2],
      ['not-sent', 2],
      ['not-sent', 2],
    ]);
    held.release();
  });
});

describe('streaming rows', () => {
  const many = 'SELECT seq FROM seq_1_to_5000';

  it('a stream that lost its connection before any row is retried and delivers every row', async () => {
    proxy.fault({ kind: 'reset-before-answer', count: 1, match: exactly(many) });
    const rows: unknown[] = [];
    for await (const row of pool().pool.query(many).stream()) rows.push(row);
    expect(rows).toHaveLength(5000);
  });

  it('once a row reached the caller it is never retried: rows-delivered, published as a give-up', async () => {
    const gaveUp: unknown[] = [];
    const listener = (message: unknown) => gaveUp.push(message);
    diagnostics_channel.subscribe('bulwark:mysql:give-up', listener);
    proxy.fault({ kind: 'reset-after-bytes', bytes: 3000, count: 1, match: exactly(many) });
    const rows: unknown[] = [];
    const error = await failure(
      (async () => {
        for await (const row of pool().pool.query(many).stream()) rows.push(row);
      })(),
    ).finally(() => diagnostics_channel.unsubscribe('bulwark:mysql:give-up', listener));
    expect(rows.length).toBeGreaterThan(0);
    expect(error.bulwark).toEqual({ attempts: 1, retried: false, reason: 'rows-delivered' });
    expect(gaveUp).toEqual([{ attempts: 1, retried: false, reason: 'rows-delivered', code: error.code, method: 'query', kind: 'read' }]);
  });
});

describe('errors that are not transient pass through at once', () => {
  it.each([
    ['a syntax error', 'SELEC 1', 'ER_PARSE_ERROR'],
    ['a duplicate key', 'INSERT INTO rules VALUES (1, 0)', 'ER_DUP_ENTRY'],
    ['a missing table', 'SELECT * FROM no_such_table', 'ER_NO_SUCH_TABLE'],
  ])("%s: mysql2's own error, untouched", async (_name, sql, code) => {
    const error = await failure(pool().query(sql));
    expect(error.code).toBe(code);
    expect(error.bulwark).toBeUndefined();
    expect(retries).toEqual([]);
  });

  it('access denied at connect is not retried', async () => {
    const p = createPool({ ...through, user: 'nobody' });
    pools.push(p);
    const error = await failure(p.query('SELECT 1'));
    expect(error.code).toBe('ER_ACCESS_DENIED_ERROR');
    expect(error.bulwark?.reason).toBe('not-transient');
  });
});

describe('bounded by attempts and the deadline', () => {
  it('gives up after `attempts` with attempts-exhausted', async () => {
    proxy.fault({ kind: 'reset-before-answer', match: exactly('SELECT 9') });
    const error = await failure(pool({ attempts: 3 }).query('SELECT 9'));
    expect(error.bulwark).toEqual({ attempts: 3, retried: true, reason: 'attempts-exhausted' });
    expect(retries.map((r) => r.attempt)).toEqual([1, 2]);
  });

  it('no attempt starts after deadlineMs, however many attempts are left', async () => {
    proxy.fault({ kind: 'close-on-connect' });
    // Without the deadline, 1000 attempts of up to 50 ms of backoff each would take far longer than the test's 60 s.
    const error = await failure(
      pool({ attempts: 1000, deadlineMs: 400, backoffMs: 50, maxBackoffMs: 50 }).query("INSERT INTO rules_log (tag) VALUES ('never')"),
    );
    expect(error.bulwark?.reason).toBe('attempts-exhausted');
    expect(error.bulwark!.attempts).toBeGreaterThan(2);
    expect(error.bulwark!.attempts).toBeLessThan(1000);
    const last = retries.at(-1)!;
    expect(last.elapsedMs).toBeLessThan(400);
  });

  it('each wait is a random draw under a ceiling that doubles per attempt, capped by maxBackoffMs', async () => {
    const options = { attempts: 8, backoffMs: 10, maxBackoffMs: 40 };
    const ceilings = [10, 20, 40, 40, 40, 40, 40];
    proxy.fault({ kind: 'close-on-connect' });
    await failure(pool(options).query('SELECT 1'));
    expect(retries.map((r) => r.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    for (const [i, r] of retries.entries()) expect(r.delayMs).toSatisfy((ms: number) => ms >= 0 && ms <= ceilings[i]!);
    // With the draw pinned at its top the waits are the ceilings themselves: they grow, then stop at the cap.
    retries.length = 0;
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.999);
    try {
      await failure(pool(options).query('SELECT 1'));
    } finally {
      random.mockRestore();
    }
    expect(retries.map((r) => r.delayMs)).toEqual(ceilings);
  });
});
