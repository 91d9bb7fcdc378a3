import diagnostics_channel from 'node:diagnostics_channel';
import mysql from 'mysql2/promise';
import mysqlCallback from 'mysql2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultProxy, MariaDbAddress } from '@bulwark/test-rig';
import { type Runner, createConnection, createPool, isWrapped, setDefaults, wrapPool } from '../dist/index.js';
import { direct, exactly, failure, rig } from './helpers.js';

let db: MariaDbAddress;
let proxy: FaultProxy;
let through: mysql.PoolOptions;

beforeAll(async () => {
  ({ db, proxy, through } = await rig());
  await direct(
    db,
    'DROP TABLE IF EXISTS dropin',
    'CREATE TABLE dropin (id INT PRIMARY KEY, name VARCHAR(20))',
    "INSERT INTO dropin VALUES (1, 'one'), (2, 'two')",
  );
});
afterAll(async () => proxy?.close());

describe('a drop-in for mysql2/promise', () => {
  it('query and execute give the same rows and fields as mysql2', async () => {
    const raw = mysql.createPool(through);
    const wrapped = createPool(through);
    const statement = 'SELECT id, name FROM dropin WHERE id >= ? ORDER BY id';
    const pairs: Array<[[unknown, mysql.FieldPacket[]], [unknown, mysql.FieldPacket[]]]> = [
      [await raw.query(statement, [1]), await wrapped.query(statement, [1])],
      [await raw.execute(statement, [1]), await wrapped.execute(statement, [1])],
    ];
    for (const [[rawRows, rawFields], [rows, fields]] of pairs) {
      expect(rows).toEqual(rawRows);
      expect(fields.map((f) => f.name)).toEqual(rawFields.map((f) => f.name));
    }
    const [header] = await wrapped.query("UPDATE dropin SET name = 'uno' WHERE id = 1");
    expect(header).toMatchObject({ affectedRows: 1, changedRows: 1 });
    await Promise.all([raw.end(), wrapped.end()]);
  });

  it('keeps mysql2 options such as rowsAsArray and nestTables on the options object', async () => {
    const pool = createPool(through);
    const [rows] = await pool.query({ sql: 'SELECT id, name FROM dropin WHERE id = 2', rowsAsArray: true });
    expect(rows).toEqual([[2, 'two']]);
    await pool.end();
  });

  it('errors are mysql2 errors, with the same code, errno and sqlState; one the guard had no say in is untouched', async () => {
    const pool = createPool(through);
    const error = (await failure(pool.query('INSERT INTO dropin VALUES (2, "dup")'))) as Error & Record<string, unknown>;
    expect(error).toMatchObject({ code: 'ER_DUP_ENTRY', errno: 1062, sqlState: '23000' });
    expect(Object.keys(error)).not.toContain('bulwark');
    await pool.end();
  });

  it("keeps the pool's events and methods: connection, acquire, release, escape, format", async () => {
    const pool = createPool({ ...through, connectionLimit: 1 });
    const seen: string[] = [];
    pool.on('connection', () => seen.push('connection'));
    pool.on('acquire', () => seen.push('acquire'));
    pool.on('release', () => seen.push('release'));
    await pool.query('SELECT 1');
    expect(seen).toEqual(['connection', 'acquire', 'release']);
    expect(pool.escape("it's")).toBe("'it\\'s'");
    expect(pool.format('SELECT ?', [1])).toBe('SELECT 1');
    expect(isWrapped(pool)).toBe(true);
    expect(wrapPool(pool)).toBe(pool);
    await pool.end();
  });

  it('transactions on a held connection commit and roll back as in mysql2', async () => {
    const pool = createPool(through);
    const conn = await pool.getConnection();
    await conn.beginTransaction();
    await conn.query("INSERT INTO dropin VALUES (10, 'ten')");
    await conn.rollback();
    await conn.beginTransaction();
    await conn.query("INSERT INTO dropin VALUES (11, 'eleven')");
    await conn.commit();
    conn.release();
    const [rows] = await pool.query('SELECT id FROM dropin WHERE id IN (10, 11)');
    expect(rows).toEqual([{ id: 11 }]);
    await pool.end();
  });

  it('after COMMIT the held connection retries reads again', async () => {
    const pool = createPool(through);
    const conn = await pool.getConnection();
    await conn.query('START TRANSACTION');
    await conn.query('COMMIT');
    proxy.fault({ kind: 'reset-before-answer', count: 1, match: exactly('SELECT 12 AS n') });
    expect((await conn.query('SELECT 12 AS n'))[0]).toEqual([{ n: 12 }]);
    conn.release();
    await pool.end();
  });

  it('createConnection reconnects for a read and keeps the listeners the caller added', async () => {
    const conn = await createConnection({ ...through, connectionLimit: undefined } as mysql.ConnectionOptions);
    const first = conn.threadId;
    const errors: string[] = [];
    conn.on('error', (error: Error & { code: string }) => errors.push(error.code));
    proxy.fault({ kind: 'reset-before-answer', count: 1, match: exactly('SELECT 13 AS n') });
    expect((await conn.query('SELECT 13 AS n'))[0]).toEqual([{ n: 13 }]);
    expect(conn.threadId).not.toBe(first);
    proxy.resetAll();
    await expect.poll(() => errors).toEqual(['ECONNRESET']);
    conn.destroy();
  });

  it('createConnection with no backoff: a read reset before its answer still answers on the fresh connection', async () => {
    const conn = await createConnection({ ...through, connectionLimit: undefined } as mysql.ConnectionOptions, {
      retryReads: { backoffMs: 0 },
    });
    for (const n of [17, 18, 19]) {
      proxy.fault({ kind: 'reset-before-answer', count: 1, match: exactly(`SELECT ${n} AS n`) });
      expect((await conn.query(`SELECT ${n} AS n`))[0]).toEqual([{ n }]);
    }
    await conn.end();
  });

  it('after a retried read the connection the app holds looks live to a client that checks it, and its end() closes the fresh one', async () => {
    const conn = await createConnection({ ...through, connectionLimit: undefined } as mysql.ConnectionOptions);
    const inner = (conn as unknown as { connection: unknown }).connection as {
      state: string;
      _fatalError: unknown;
      _closing: boolean;
      stream: { destroyed: boolean };
    };
    proxy.fault({ kind: 'reset-before-answer', count: 1, match: exactly('SELECT 20 AS n') });
    expect((await conn.query('SELECT 20 AS n'))[0]).toEqual([{ n: 20 }]);
    // What Sequelize's and Knex's pools check before reusing a connection.
    expect({ state: inner.state, fatal: inner._fatalError, closing: Boolean(inner._closing), destroyed: inner.stream.destroyed }).toEqual({
      state: 'authenticated',
      fatal: null,
      closing: false,
      destroyed: false,
    });
    const [[who]] = (await conn.query('SELECT CONNECTION_ID() AS id')) as unknown as [[{ id: number }]];
    await conn.end();
    await expect
      .poll(async () => (await direct(db, `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID = ${who.id}`))[0])
      .toEqual([{ n: 0 }]);
  });

  it('wraps a callback mysql2 pool: query with a callback, getConnection and promise()', async () => {
    const pool = wrapPool(mysqlCallback.createPool(through));
    proxy.fault({ kind: 'reset-before-answer', count: 1, match: exactly('SELECT 14 AS n') });
    const rows = await new Promise((resolve, reject) =>
      pool.query('SELECT 14 AS n', (e: unknown, r: unknown) => (e ? reject(e) : resolve(r))),
    );
    expect(rows).toEqual([{ n: 14 }]);
    const conn = await new Promise<mysqlCallback.PoolConnection>((resolve, reject) =>
      pool.getConnection((e, c) => (e ? reject(e) : resolve(c))),
    );
    proxy.fault({ kind: 'reset-before-answer', count: 1, match: exactly('SELECT 15 AS n') });
    const held = await new Promise((resolve, reject) =>
      conn.query('SELECT 15 AS n', (e: unknown, r: unknown) => (e ? reject(e) : resolve(r))),
    );
    expect(held).toEqual([{ n: 15 }]);
    conn.release();
    proxy.fault({ kind: 'reset-before-answer', count: 1, match: exactly('SELECT 16 AS n') });
    expect((await pool.promise().query('SELECT 16 AS n'))[0]).toEqual([{ n: 16 }]);
    await pool.promise().end();
  });
});

describe('events and the breaker hook', () => {
  it('publishes bulwark:mysql:retry with numbers and names, never SQL or parameters', async () => {
    const payloads: unknown[] = [];
    const listener = (message: unknown) => payloads.push(message);
    diagnostics_channel.subscribe('bulwark:mysql:retry', listener);
    const pool = createPool(through);
    proxy.fault({ kind: 'reset-before-answer', count: 1, match: /secret-value/ });
    await pool.query('SELECT ? AS s', ['secret-value']);
    diagnostics_channel.unsubscribe('bulwark:mysql:retry', listener);
    expect(payloads).toHaveLength(1);
    expect(JSON.stringify(payloads)).not.toMatch(/secret|SELECT/);
    expect(payloads[0]).toMatchObject({ attempt: 1, why: 'read-lost', method: 'query', kind: 'read' });
    await pool.end();
  });

  it("runs each pool statement's connection through resource.run: a lost one fails the run, a shed request is never sent", async () => {
    const outcomes: string[] = [];
    let shed = false;
    const resource: Runner = {
      run: async (fn) => {
        if (shed) throw Object.assign(new Error('circuit open'), { code: 'ERR_CIRCUIT_OPEN' });
        return fn().then(
          (value) => (outcomes.push('ok'), value),
          (error: { code?: string }) => {
            outcomes.push(error.code ?? 'error');
            throw error;
          },
        );
      },
    };
    const pool = createPool(through, { resource });
    proxy.fault({ kind: 'reset-before-answer', count: 1, match: exactly('SELECT 17') });
    await pool.query('SELECT 17');
    expect(outcomes).toEqual([expect.stringMatching(/ECONNRESET|PROTOCOL_CONNECTION_LOST/)]);
    await pool.query('SELECT 18');
    expect(outcomes.at(-1)).toBe('ok');
    shed = true;
    const before = proxy.counts.commands;
    const error = await failure(pool.query('SELECT 19'));
    expect(error.code).toBe('ERR_CIRCUIT_OPEN');
    expect(proxy.counts.commands).toBe(before);
    await pool.end();
  });

  it('setDefaults({ resourceFor }) gives each host:port its own resource', async () => {
    const asked: string[] = [];
    const previous = setDefaults({ resourceFor: (host, port) => (asked.push(`${host}:${port}`), { run: (fn) => fn() }) });
    const pool = createPool(through);
    setDefaults(previous);
    await pool.query('SELECT 1');
    expect(asked).toEqual([`127.0.0.1:${proxy.port}`]);
    await pool.end();
  });

  it('rejects bad options at construction, naming them', () => {
    expect(() => createPool(through, { retryReads: { attempts: 0 } })).toThrow(
      /retryReads.attempts must be an integer from 1 to 1000, got 0/,
    );
    expect(() => createPool(through, { retryReads: { deadline: 5 } as never })).toThrow(/retryReads.deadline/);
    expect(() => createPool(through, { resource: {} as never })).toThrow(/resource must be an object with a run\(fn\) method/);
    expect(() => wrapPool({} as never)).toThrow(/pool must be a mysql2 pool/);
  });

  it('setDefaults rejects bad values too, naming them, and keeps the defaults it had', () => {
    expect(() => setDefaults({ retryReads: { attempts: 0 } })).toThrow(/retryReads.attempts must be an integer from 1 to 1000, got 0/);
    expect(() => setDefaults({ retryReads: 'yes' as never })).toThrow(/retryReads must be/);
    expect(() => setDefaults({ resource: {} as never })).toThrow(/resource must be an object with a run\(fn\) method/);
    expect(() => setDefaults({ resourceFor: 5 as never })).toThrow(/resourceFor must be/);
    expect(() => createPool(through)).not.toThrow();
    expect(setDefaults({})).toEqual({});
  });
});
