import { eq, sql } from 'drizzle-orm';
import { int, mysqlTable, varchar } from 'drizzle-orm/mysql-core';
import { drizzle } from 'drizzle-orm/mysql2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultProxy, MariaDbAddress } from '@bulwark/test-rig';
import { createPool } from '../dist/index.js';
import { direct, rig } from './helpers.js';

const books = mysqlTable('drizzle_books', { id: int('id').primaryKey(), title: varchar('title', { length: 40 }).notNull() });
let db: MariaDbAddress;
let proxy: FaultProxy;
let through: Parameters<typeof createPool>[0] & object;

beforeAll(async () => {
  ({ db, proxy, through } = await rig());
  await direct(db, 'DROP TABLE IF EXISTS drizzle_books', 'CREATE TABLE drizzle_books (id INT PRIMARY KEY, title VARCHAR(40) NOT NULL)', "INSERT INTO drizzle_books VALUES (1, 'Inquisitio')");
});
afterAll(async () => proxy?.close());

describe("as the pool of Drizzle's mysql2 driver", () => {
  it('a Drizzle select survives a reset before the answer; an insert reports write-in-doubt', async () => {
    const pool = createPool(through);
    const orm = drizzle({ client: pool });
    proxy.fault({ kind: 'reset-before-answer', count: 1, match: /^select/ });
    expect(await orm.select().from(books).where(eq(books.id, 1))).toEqual([{ id: 1, title: 'Inquisitio' }]);
    expect(proxy.fired('reset-before-answer')).toBe(1);
    proxy.fault({ kind: 'reset-before-answer', count: 1, match: /^insert/ });
    const error = await orm.insert(books).values({ id: 2, title: 'Interrupta' }).then(
      () => undefined,
      (e: { cause?: { bulwark?: unknown }; bulwark?: unknown }) => e,
    );
    expect(error?.bulwark ?? error?.cause?.bulwark).toMatchObject({ reason: 'write-in-doubt' });
    await pool.end();
  });

  it('Drizzle transactions commit through the wrapped held connection', async () => {
    const pool = createPool(through);
    const orm = drizzle({ client: pool });
    await orm.transaction(async (tx) => {
      await tx.insert(books).values({ id: 3, title: 'In a transaction' });
      expect(await tx.select({ n: sql<number>`count(*)` }).from(books).where(eq(books.id, 3))).toEqual([{ n: 1 }]);
    });
    expect(await orm.select().from(books).where(eq(books.id, 3))).toHaveLength(1);
    await pool.end();
  });
});
