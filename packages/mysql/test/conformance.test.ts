// mysql2 exactly, under the flag: one test for each cause of issue 9's regressions in mysql2's own
// suite, plus the concurrency rules. Each runs mysql2's raw objects with instrumentMysql2 active.
import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FaultProxy, MariaDbAddress } from '@bulwark/test-rig';
import { instrumentMysql2 } from '../dist/index.js';
import { direct, exactly, rig } from './helpers.js';

type Callback = (error: (Error & { code?: string; fatal?: boolean; bulwark?: { reason: string } }) | null, ...results: unknown[]) => void;
interface Command {
  constructor: { name: string };
  setMaxListeners(n: number): unknown;
  on(event: string, listener: (...args: unknown[]) => void): Command;
  stream(): NodeJS.ReadableStream & { destroy(): void };
  then?: unknown;
}
interface Conn {
  threadId: number;
  query(sql: string | object, values?: unknown, cb?: Callback): Command;
  execute(sql: string, values?: unknown, cb?: Callback): Command;
  beginTransaction(cb?: Callback): unknown;
  rollback(cb?: Callback): unknown;
  connect(cb: (error: unknown, value: unknown) => void): void;
  promise(): PromiseConn;
  release(): void;
  end(cb?: () => void): void;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}
interface PromiseConn {
  query(sql: string, values?: unknown): Promise<[unknown, unknown]>;
  beginTransaction(): Promise<void>;
  rollback(): Promise<void>;
  end(): Promise<void>;
  release(): void;
}
interface Pool {
  query(sql: string, cb?: Callback): Command;
  getConnection(cb: (error: unknown, connection: Conn) => void): void;
  on(event: string, listener: (...args: unknown[]) => void): Pool;
  end(cb?: () => void): void;
  promise(): { query(sql: string): Promise<[unknown, unknown]>; end(): Promise<void> };
}
type Mysql2 = {
  createConnection(o: object): Conn;
  createPool(o: object): Pool;
  Pool: { prototype: { query: unknown } };
  createPoolCluster(): {
    add(name: string, o: object): void;
    of(pattern: string): { query(sql: string, cb: Callback): void };
    end(cb?: () => void): void;
  };
  createPoolPromise(o: object): { query(sql: string): Promise<[unknown, unknown]>; end(): Promise<void> };
  createConnectionPromise(o: object): Promise<{ query(sql: string): Promise<[unknown, unknown]>; end(): Promise<void> }>;
};

const mysql2 = createRequire(import.meta.url)('mysql2') as Mysql2;
let db: MariaDbAddress;
let proxy: FaultProxy;
let through: { host: string; port: number; user: string; password: string; database: string };
let guard: { close(): Promise<void> };
const closers: Array<() => unknown> = [];

beforeAll(async () => {
  ({ db, proxy } = await rig());
  through = { host: proxy.host, port: proxy.port, user: db.user, password: db.password, database: db.database };
  await direct(
    db,
    'DROP TABLE IF EXISTS conf',
    'CREATE TABLE conf (id INT PRIMARY KEY, v VARCHAR(20))',
    "INSERT INTO conf VALUES (1, 'one')",
  );
  guard = instrumentMysql2();
});
afterEach(async () => {
  proxy.clear();
  for (const close of closers.splice(0).reverse()) await close();
});
afterAll(async () => {
  await guard?.close();
  await proxy?.close();
});

const connection = () => {
  const c = mysql2.createConnection(through);
  closers.push(() => new Promise<void>((resolve) => c.end(() => resolve())));
  return c;
};
const pool = (extra: object = {}) => {
  const p = mysql2.createPool({ ...through, ...extra });
  closers.push(() => new Promise<void>((resolve) => p.end(() => resolve())));
  return p;
};
const call = <T = unknown>(fn: (cb: Callback) => unknown) =>
  new Promise<T>((resolve, reject) => fn((error, result) => (error ? reject(error) : resolve(result as T))));
const countOf = async (sql: string) => ((await direct(db, sql))[0] as Array<{ n: number }>)[0]!.n;
const rowCount = (where: string) => countOf(`SELECT COUNT(*) AS n FROM conf WHERE ${where}`);
const threadsConnected = (user: string) => countOf(`SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = '${user}'`);

describe('1. statements reach the server in the order issued', () => {
  it('BEGIN, INSERT, ROLLBACK without waiting (callback API) leaves no row', async () => {
    const c = connection();
    c.beginTransaction();
    c.query("INSERT INTO conf VALUES (100, 'rolled back')");
    await call((cb) => c.rollback(cb));
    expect(await rowCount('id = 100')).toBe(0);
  });

  it('BEGIN, INSERT, ROLLBACK without waiting (promise API) leaves no row', async () => {
    const c = connection().promise();
    await Promise.all([c.beginTransaction(), c.query("INSERT INTO conf VALUES (101, 'rolled back')"), c.rollback()]);
    expect(await rowCount('id = 101')).toBe(0);
  });
});

describe("2. callback query() and execute() return mysql2's command object", () => {
  it('connection and pool query/execute return Query/Execute; Sequelize can setMaxListeners on it', async () => {
    const c = connection();
    const q = c.query('SELECT 1', () => {});
    const e = c.execute('SELECT ?', [1], () => {});
    expect(q.constructor.name).toBe('Query');
    expect(e.constructor.name).toBe('Execute');
    expect(() => q.setMaxListeners(100)).not.toThrow();
    const p = pool();
    const pq = p.query('SELECT 1', () => {});
    expect(pq.constructor.name).toBe('Query');
    await call((cb) => c.query('SELECT 1', cb));
  });
});

describe("3. a streaming query is mysql2's Query", () => {
  it('awaiting it throws as mysql2 does; multiple result sets give result(row, index); a destroyed stream leaves the connection usable', async () => {
    const c = mysql2.createConnection({ ...through, multipleStatements: true });
    closers.push(() => new Promise<void>((resolve) => c.end(() => resolve())));
    const query = c.query('SELECT 1');
    expect(query.constructor.name).toBe('Query');
    expect(() => (query.then as () => void)()).toThrow(/not a promise/);
    const seen: Array<[unknown, unknown]> = [];
    await new Promise<void>((resolve) =>
      c
        .query('SELECT 1 AS a; SELECT 2 AS b')
        .on('result', (row, index) => seen.push([row, index]))
        .on('end', () => resolve()),
    );
    expect(seen).toEqual([
      [{ a: 1 }, 0],
      [{ b: 2 }, 1],
    ]);
    const stream = c.query('SELECT seq FROM seq_1_to_10000').stream();
    await new Promise<void>((resolve) => stream.once('data', () => resolve()));
    stream.destroy();
    expect(await call((cb) => c.query('SELECT 3 AS n', cb))).toEqual([{ n: 3 }]);
  });
});

describe('4. callbacks get every argument mysql2 gives', () => {
  it('an error that comes with a result (LOCAL INFILE without a stream factory) keeps both', async () => {
    const c = connection();
    const args = await new Promise<unknown[]>((resolve) =>
      c.query("LOAD DATA LOCAL INFILE '/nonexistent' INTO TABLE conf", (...a: unknown[]) => resolve(a)),
    );
    expect(args[0]).toBeInstanceOf(Error);
    expect(args.length).toBeGreaterThanOrEqual(2);
  });
});

describe("5. mysql2's own pool decisions stand", () => {
  it('a connection that hit a read-only error is destroyed, not released', async () => {
    const p = pool({ connectionLimit: 1 });
    p.on('connection', (c) => (c as Conn).query('SET SESSION TRANSACTION READ ONLY'));
    const first = await call<Array<{ id: number }>>((cb) => p.query('SELECT CONNECTION_ID() AS id', cb));
    await expect(call((cb) => p.query("INSERT INTO conf VALUES (102, 'ro')", cb))).rejects.toMatchObject({ errno: 1792 });
    const second = await call<Array<{ id: number }>>((cb) => p.query('SELECT CONNECTION_ID() AS id', cb));
    expect(second[0]!.id).not.toBe(first[0]!.id);
  });
});

describe("6. a failure that is not retried is mysql2's own error, and nothing queued is sent again", () => {
  it('a transaction whose connection dies: every queued statement gets the same original error, in-transaction', async () => {
    const c = connection();
    await call((cb) => c.beginTransaction(cb));
    const before = proxy.counts.commands;
    proxy.fault({ kind: 'reset-before-answer', count: 1, match: exactly("INSERT INTO conf VALUES (103, 'x')") });
    const errors = await Promise.all(
      ["INSERT INTO conf VALUES (103, 'x')", 'SELECT 1', "INSERT INTO conf VALUES (104, 'y')"].map((sql) =>
        call((cb) => c.query(sql, cb)).then(
          () => undefined,
          (e: Error) => e,
        ),
      ),
    );
    expect(errors[0]).toMatchObject({ fatal: true, code: expect.stringMatching(/ECONNRESET|PROTOCOL_CONNECTION_LOST/) });
    expect(errors[1]).toBe(errors[0]);
    expect(errors[2]).toBe(errors[0]);
    expect((errors[0] as { bulwark?: { reason: string } }).bulwark?.reason).toBe('in-transaction');
    expect(proxy.counts.commands - before).toBe(1);
    expect(await rowCount('id IN (103, 104)')).toBe(0);
  });
});

describe('6a. a new connection the server closes in order on its first statement (test-connect-sha1)', () => {
  it("that read is not sent again and gets mysql2's own error; the statements queued behind it were never sent and are", async () => {
    const c = connection();
    const before = proxy.counts.commands;
    proxy.fault({ kind: 'close-before-answer', count: 1, match: exactly('SELECT 1+1 AS n') });
    const outcomes = await Promise.all(
      ['SELECT 1+1 AS n', 'SELECT 1+2 AS n', 'SELECT 1+3 AS n'].map((sql) => call((cb) => c.query(sql, cb)).catch((e: Error) => e)),
    );
    expect(outcomes[0]).toMatchObject({ fatal: true, code: 'PROTOCOL_CONNECTION_LOST' });
    expect((outcomes[0] as { bulwark?: object }).bulwark).toEqual({ attempts: 1, retried: false, reason: 'closed-on-first-statement' });
    expect(outcomes.slice(1)).toEqual([[{ n: 3 }], [{ n: 4 }]]);
    // The closed read once; the two behind it once each, on the fresh connection.
    expect(proxy.counts.commands - before).toBe(3);
  });
});

describe('6b. a connection that closes during its handshake', () => {
  it('the queued statement gets the error in its callback, as in mysql2, and the connection emits none', async () => {
    proxy.fault({ kind: 'close-on-connect' });
    const c = mysql2.createConnection(through);
    const emitted: unknown[] = [];
    c.on('error', (e) => emitted.push(e));
    const error = await call((cb) => c.query('SELECT 1', cb)).then(
      () => undefined,
      (e: Error & { code?: string; bulwark?: { reason: string } }) => e,
    );
    expect(error?.code).toBe('PROTOCOL_CONNECTION_LOST');
    expect(error?.bulwark?.reason).toBe('attempts-exhausted');
    expect(emitted).toEqual([]);
  });
});

describe('7. identity', () => {
  it("connect(cb), getConnection and pool methods hand back mysql2's own objects", async () => {
    const c = connection();
    const connected = await call<Conn>((cb) => c.connect(cb as never));
    expect(connected === c || (connected as { constructor: { name: string } }).constructor.name === 'Handshake').toBe(true);
    const p = pool({ connectionLimit: 1 });
    const a = await call<Conn>((cb) => p.getConnection(cb as never));
    a.release();
    const b = await call<Conn>((cb) => p.getConnection(cb as never));
    expect(b).toBe(a);
    b.release();
    expect(p.query).toBe(mysql2.Pool.prototype.query);
    expect(p.on('enqueue', () => {})).toBe(p);
  });
});

describe("8. the promise API keeps the caller's async stack", () => {
  it('an error from pool.promise().query names the calling function', async () => {
    const p = pool().promise();
    async function callerOfTheQuery() {
      return p.query('SELEC 1');
    }
    const error = await callerOfTheQuery().catch((e: Error) => e);
    expect((error as Error).stack).toContain('callerOfTheQuery');
  });
});

describe('every way into mysql2 is covered by the flag', () => {
  it('createPoolCluster, createPoolPromise, createConnectionPromise and conn.promise() retry a lost read', async () => {
    const cluster = mysql2.createPoolCluster();
    cluster.add('primary', through);
    closers.push(() => new Promise<void>((resolve) => cluster.end(() => resolve())));
    proxy.fault({ kind: 'reset-before-answer', count: 1, match: exactly('SELECT 61 AS n') });
    expect(await call((cb) => cluster.of('*').query('SELECT 61 AS n', cb))).toEqual([{ n: 61 }]);
    const promisePool = mysql2.createPoolPromise(through);
    closers.push(() => promisePool.end());
    proxy.fault({ kind: 'reset-before-answer', count: 1, match: exactly('SELECT 62 AS n') });
    expect((await promisePool.query('SELECT 62 AS n'))[0]).toEqual([{ n: 62 }]);
    const promiseConnection = await mysql2.createConnectionPromise(through);
    closers.push(() => promiseConnection.end());
    proxy.fault({ kind: 'reset-before-answer', count: 1, match: exactly('SELECT 63 AS n') });
    expect((await promiseConnection.query('SELECT 63 AS n'))[0]).toEqual([{ n: 63 }]);
    const promised = connection().promise();
    proxy.fault({ kind: 'reset-before-answer', count: 1, match: exactly('SELECT 64 AS n') });
    expect((await promised.query('SELECT 64 AS n'))[0]).toEqual([{ n: 64 }]);
    expect(proxy.fired('reset-before-answer')).toBeGreaterThanOrEqual(4);
  });
});

describe('concurrency on one held connection', () => {
  it('reads lost together share one reconnect, answer in the order issued, and leave no session behind', async () => {
    // Threads_connected counts the whole server, which the test file running beside this one shares:
    // this test connects as a user of its own and counts that user's threads.
    const own = { user: 'conf_sessions', password: 'conf-sessions' };
    await direct(
      db,
      `CREATE USER IF NOT EXISTS '${own.user}'@'%' IDENTIFIED BY '${own.password}'`,
      `GRANT ALL ON ${db.database}.* TO '${own.user}'@'%'`,
    );
    const threads = await threadsConnected(own.user);
    const c = mysql2.createConnection({ ...through, ...own });
    await call((cb) => c.query('SELECT 1', cb));
    const connections = proxy.counts.connections;
    proxy.fault({ kind: 'reset-before-answer', count: 1, match: exactly('SELECT 1 AS n') });
    const order: number[] = [];
    const reads = [1, 2, 3].map((n) =>
      call<Array<{ n: number }>>((cb) => c.query(`SELECT ${n} AS n`, cb)).then((rows) => order.push(rows[0]!.n)),
    );
    await Promise.all(reads);
    expect(order).toEqual([1, 2, 3]);
    expect(proxy.counts.connections - connections).toBe(1);
    expect(await threadsConnected(own.user)).toBeGreaterThan(threads); // the count sees this connection
    await new Promise<void>((resolve) => c.end(() => resolve()));
    await expect.poll(() => threadsConnected(own.user)).toBe(threads);
  });

  it('a throw inside a retried query callback is an uncaughtException, never an unhandledRejection', async () => {
    const caught: string[] = [];
    const saved = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    const onUncaught = (e: Error) => caught.push(`uncaught ${e.message}`);
    const onRejection = (e: Error) => caught.push(`rejection ${e.message}`);
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onRejection);
    try {
      const p = pool();
      proxy.fault({ kind: 'reset-before-answer', count: 1, match: exactly('SELECT 5 AS n') });
      await new Promise<void>((resolve) =>
        p.query('SELECT 5 AS n', () => {
          resolve();
          throw new Error('thrown by the app');
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(caught).toEqual(['uncaught thrown by the app']);
    } finally {
      process.removeListener('uncaughtException', onUncaught);
      process.removeListener('unhandledRejection', onRejection);
      for (const l of saved) process.on('uncaughtException', l);
    }
  });
});
