import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultProxy, MariaDbAddress } from '@bulwark/test-rig';
import {
  type Connection,
  resetOnce,
  factsOf,
  flagged,
  settledSocketsTo,
  ownTable,
  firstId,
  lastId,
  readIds,
  underFaults,
} from './harness.js';

let db: MariaDbAddress;
let proxy: FaultProxy;
let connection: Connection;
let close: () => Promise<void>;
let pool: import('mysql2').Pool;
let orm: import('drizzle-orm/mysql2').MySql2Database;
let d: typeof import('drizzle-orm');
let books: ReturnType<typeof table>;

const table = (core: typeof import('drizzle-orm/mysql-core')) =>
  core.mysqlTable('drizzle_books', {
    id: core.int('id').primaryKey().autoincrement(),
    request: core.int('request'),
    title: core.varchar('title', { length: 40 }).notNull(),
  });

beforeAll(async () => {
  ({ db, proxy, connection, close } = await flagged());
  await ownTable(db, 'drizzle_books');
  // The app makes the pool Drizzle drives from mysql2, once the flag is on.
  pool = (createRequire(import.meta.url)('mysql2') as typeof import('mysql2')).createPool({ ...connection, connectionLimit: 4 });
  d = await import('drizzle-orm');
  books = table(await import('drizzle-orm/mysql-core'));
  orm = (await import('drizzle-orm/mysql2')).drizzle({ client: pool });
});
afterAll(async () => {
  await new Promise((resolve) => pool?.end(resolve));
  await close?.();
});

describe("Drizzle's mysql2 driver under enable({ mysql: true })", () => {
  it('under 10% resets before the answer: every read answers, no write runs twice, a failed write says why', async () => {
    await underFaults(proxy, db, 'drizzle_books', {
      read: async (id) => (await orm.select().from(books).where(d.eq(books.id, id)))[0]?.title,
      write: (request) => orm.insert(books).values({ request, title: 'written' }),
      readTextVisible: true,
    });
  });

  it('a select survives a reset before the answer; an insert reset before the answer says write-in-doubt', async () => {
    resetOnce(proxy, /^select/);
    expect(await orm.select({ title: books.title }).from(books).where(d.eq(books.id, 100_001))).toEqual([{ title: 'book 100001' }]);
    expect(proxy.fired('reset-before-answer')).toBe(1);
    resetOnce(proxy, /^insert/);
    const error = await orm
      .insert(books)
      .values({ request: -9, title: 'Interrupta' })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(factsOf(error)).toMatchObject({ reason: 'write-in-doubt' });
    proxy.clear();
  });

  it('a transaction commits, and rolls back with tx.rollback()', async () => {
    await orm.transaction(async (tx) => {
      await tx.insert(books).values({ request: -1, title: 'committed' });
      expect(
        await tx
          .select({ n: d.sql<number>`count(*)` })
          .from(books)
          .where(d.eq(books.request, -1)),
      ).toEqual([{ n: 1 }]);
    });
    await expect(
      orm.transaction(async (tx) => {
        await tx.insert(books).values({ request: -2, title: 'rolled back' });
        tx.rollback();
      }),
    ).rejects.toThrow(/Rollback/i);
    expect(
      await orm
        .select({ title: books.title })
        .from(books)
        .where(d.inArray(books.request, [-1, -2])),
    ).toEqual([{ title: 'committed' }]);
  });

  it('iterator() streams every row, and a reset before its answer is retried', async () => {
    const titles = async (descending: boolean) => {
      const seen: string[] = [];
      const query = orm
        .select({ title: books.title })
        .from(books)
        .where(d.between(books.id, firstId, lastId))
        .orderBy(descending ? d.desc(books.id) : books.id);
      for await (const row of query.iterator()) seen.push(row.title);
      return seen;
    };
    expect(await titles(false)).toEqual(readIds.map((id) => `book ${id}`));
    resetOnce(proxy, /desc/);
    expect(await titles(true)).toEqual(readIds.map((id) => `book ${id}`).reverse());
    expect(proxy.fired('reset-before-answer')).toBe(1);
    proxy.clear();
  });

  it('closing it leaves no connection open, the fresh ones that carried a session after a reset included', async () => {
    await new Promise((resolve) => pool.end(resolve));
    expect(await settledSocketsTo(connection.port)).toBe(0);
  });
});
