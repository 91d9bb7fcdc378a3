import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultProxy, MariaDbAddress } from '@bulwark/test-rig';
import {
  type Connection,
  resetOnce,
  direct,
  flagged,
  settledSocketsTo,
  ownTable,
  firstId,
  lastId,
  readIds,
  underFaults,
} from './harness.js';

type Mysql2 = typeof import('mysql2');
type Mysql2Promise = typeof import('mysql2/promise');
type Row = { title: string };

let db: MariaDbAddress;
let proxy: FaultProxy;
let connection: Connection;
let close: () => Promise<void>;
let mysql: Mysql2;
let mysqlPromise: Mysql2Promise;

beforeAll(async () => {
  ({ db, proxy, connection, close } = await flagged());
  // What an app's `require('mysql2')` gets once the flag is on.
  const require = createRequire(import.meta.url);
  mysql = require('mysql2') as Mysql2;
  mysqlPromise = require('mysql2/promise') as Mysql2Promise;
});
afterAll(async () => close?.());

/** A callback-style call as a promise of its result. */
const called = <T = unknown>(call: (cb: (error: Error | null, result?: unknown) => void) => void) =>
  new Promise<T>((resolve, reject) => call((error, result) => (error ? reject(error) : resolve(result as T))));

describe("mysql2's callback pool under enable({ mysql: true })", () => {
  let pool: import('mysql2').Pool;
  beforeAll(async () => {
    await ownTable(db, 'mysql2_callback');
    pool = mysql.createPool({ ...connection, connectionLimit: 4 });
  });
  afterAll(async () => new Promise<void>((resolve) => pool.end(() => resolve())).catch(() => {}));

  it('under 10% resets before the answer: every read answers, no write runs twice, a failed write says why', async () => {
    await underFaults(proxy, db, 'mysql2_callback', {
      read: async (id) => (await called<Row[]>((cb) => pool.query('SELECT title FROM mysql2_callback WHERE id = ?', [id], cb)))[0]?.title,
      write: (request) =>
        called((cb) => pool.query('INSERT INTO mysql2_callback (request, title) VALUES (?, ?)', [request, 'written'], cb)),
      readTextVisible: true,
    });
  });

  it("query() hands back mysql2's command, and its stream delivers every row, retried after a reset before the answer", async () => {
    const command = pool.query('SELECT 1 AS one', () => {});
    expect(command?.constructor.name).toBe('Query');
    expect(typeof command?.setMaxListeners).toBe('function');
    resetOnce(proxy, /ORDER BY id DESC/);
    const titles: string[] = [];
    const stream = pool.query('SELECT title FROM mysql2_callback WHERE id BETWEEN ? AND ? ORDER BY id DESC', [firstId, lastId]).stream();
    for await (const row of stream) titles.push((row as Row).title);
    expect(proxy.fired('reset-before-answer')).toBe(1);
    expect(titles).toEqual(readIds.map((id) => `book ${id}`).reverse());
    proxy.clear();
  });

  it('BEGIN, INSERT, ROLLBACK sent without waiting: the row is not stored; the same with COMMIT is', async () => {
    const conn = await called<import('mysql2').PoolConnection>((cb) => pool.getConnection(cb as never));
    conn.beginTransaction(() => {});
    conn.query("INSERT INTO mysql2_callback (request, title) VALUES (-1, 'rolled back')", () => {});
    await called((cb) => conn.rollback(cb));
    conn.beginTransaction(() => {});
    conn.query("INSERT INTO mysql2_callback (request, title) VALUES (-2, 'committed')", () => {});
    await called((cb) => conn.commit(cb));
    conn.release();
    expect(await direct(db, 'SELECT title FROM mysql2_callback WHERE request IN (-1, -2)')).toEqual([[{ title: 'committed' }]]);
  });

  it('closing it leaves no connection open, the fresh ones that carried a session after a reset included', async () => {
    await new Promise<void>((resolve) => pool.end(() => resolve()));
    expect(await settledSocketsTo(connection.port)).toBe(0);
  });
});

describe("mysql2's promise pool under enable({ mysql: true })", () => {
  let pool: import('mysql2/promise').Pool;
  beforeAll(async () => {
    await ownTable(db, 'mysql2_promise');
    await ownTable(db, 'mysql2_execute');
    pool = mysqlPromise.createPool({ ...connection, connectionLimit: 4 });
  });
  afterAll(async () => pool.end().catch(() => {}));

  it('query(): under 10% resets every read answers, no write runs twice, a failed write says why', async () => {
    await underFaults(proxy, db, 'mysql2_promise', {
      read: async (id) => ((await pool.query('SELECT title FROM mysql2_promise WHERE id = ?', [id]))[0] as Row[])[0]?.title,
      write: (request) => pool.query('INSERT INTO mysql2_promise (request, title) VALUES (?, ?)', [request, 'written']),
      readTextVisible: true,
    });
  });

  it('execute(): under 10% resets every read answers, no write runs twice, a failed write says why', async () => {
    await underFaults(proxy, db, 'mysql2_execute', {
      read: async (id) => ((await pool.execute('SELECT title FROM mysql2_execute WHERE id = ?', [id]))[0] as Row[])[0]?.title,
      write: (request) => pool.execute('INSERT INTO mysql2_execute (request, title) VALUES (?, ?)', [request, 'written']),
    });
  });

  it('a transaction on a pooled connection commits, and rolls back', async () => {
    const conn = await pool.getConnection();
    await conn.beginTransaction();
    await conn.query("INSERT INTO mysql2_promise (request, title) VALUES (-1, 'committed')");
    await conn.commit();
    await conn.beginTransaction();
    await conn.execute("INSERT INTO mysql2_promise (request, title) VALUES (-2, 'rolled back')");
    expect((await conn.query('SELECT COUNT(*) AS n FROM mysql2_promise WHERE request = -2'))[0]).toEqual([{ n: 1 }]);
    await conn.rollback();
    conn.release();
    expect((await pool.query('SELECT title FROM mysql2_promise WHERE request IN (-1, -2)'))[0]).toEqual([{ title: 'committed' }]);
  });

  it('closing it leaves no connection open, the fresh ones that carried a session after a reset included', async () => {
    await pool.end();
    expect(await settledSocketsTo(connection.port)).toBe(0);
  });
});

describe("mysql2's createPoolCluster under enable({ mysql: true })", () => {
  let cluster: import('mysql2').PoolCluster;
  beforeAll(async () => {
    await ownTable(db, 'mysql2_cluster');
    cluster = mysql.createPoolCluster();
    cluster.add('first', { ...connection, connectionLimit: 2 });
    cluster.add('second', { ...connection, connectionLimit: 2 });
  });
  afterAll(async () => new Promise<void>((resolve) => cluster.end(() => resolve())));

  it('of(*).query(): under 10% resets every read answers, no write runs twice, a failed write says why', async () => {
    const any = cluster.of('*');
    await underFaults(proxy, db, 'mysql2_cluster', {
      read: async (id) => (await called<Row[]>((cb) => any.query('SELECT title FROM mysql2_cluster WHERE id = ?', [id], cb)))[0]?.title,
      write: (request) => called((cb) => any.query('INSERT INTO mysql2_cluster (request, title) VALUES (?, ?)', [request, 'written'], cb)),
      readTextVisible: true,
    });
  });

  it('a connection from getConnection() retries a read reset before the answer', async () => {
    const conn = await called<import('mysql2').PoolConnection>((cb) => cluster.getConnection('second', cb as never));
    resetOnce(proxy, /^SELECT 'from second'/);
    expect(await called((cb) => conn.query("SELECT 'from second' AS node", cb))).toEqual([{ node: 'from second' }]);
    expect(proxy.fired('reset-before-answer')).toBe(1);
    proxy.clear();
    conn.release();
  });

  it('closing it leaves no connection open, the fresh ones that carried a session after a reset included', async () => {
    await new Promise<void>((resolve) => cluster.end(() => resolve()));
    expect(await settledSocketsTo(connection.port)).toBe(0);
  });
});
