// Kysely 0.29 needs Node >= 22: this file runs on the Node 22+ legs of `npm test`.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultProxy, MariaDbAddress } from '@bulwark/test-rig';
import { type Connection, resetOnce, flagged, settledSocketsTo, ownTable, firstId, lastId, readIds, underFaults } from './harness.js';

interface Database {
  kysely_books: { id: import('kysely').Generated<number>; request: number | null; title: string };
}

let db: MariaDbAddress;
let proxy: FaultProxy;
let connection: Connection;
let close: () => Promise<void>;
let kysely: import('kysely').Kysely<Database>;

beforeAll(async () => {
  ({ db, proxy, connection, close } = await flagged());
  await ownTable(db, 'kysely_books');
  const { Kysely, MysqlDialect } = await import('kysely');
  // Kysely drives a pool the app makes from mysql2, once the flag is on.
  const mysql = createRequire(import.meta.url)('mysql2') as typeof import('mysql2');
  kysely = new Kysely<Database>({ dialect: new MysqlDialect({ pool: mysql.createPool({ ...connection, connectionLimit: 4 }) }) });
});
afterAll(async () => {
  await kysely?.destroy();
  await close?.();
});

describe('Kysely under enable({ mysql: true })', () => {
  it('under 10% resets before the answer: every read answers, no write runs twice, a failed write says why', async () => {
    await underFaults(proxy, db, 'kysely_books', {
      read: async (id) => (await kysely.selectFrom('kysely_books').select('title').where('id', '=', id).executeTakeFirst())?.title,
      write: (request) => kysely.insertInto('kysely_books').values({ request, title: 'written' }).execute(),
      readTextVisible: true,
    });
  });

  it('a transaction commits, and rolls back when its callback throws', async () => {
    await kysely.transaction().execute(async (trx) => {
      await trx.insertInto('kysely_books').values({ request: -1, title: 'committed' }).execute();
    });
    await expect(
      kysely.transaction().execute(async (trx) => {
        await trx.insertInto('kysely_books').values({ request: -2, title: 'rolled back' }).execute();
        expect(await trx.selectFrom('kysely_books').select('title').where('request', '=', -2).execute()).toEqual([
          { title: 'rolled back' },
        ]);
        throw new Error('the app changes its mind');
      }),
    ).rejects.toThrow('the app changes its mind');
    expect(await kysely.selectFrom('kysely_books').select('title').where('request', 'in', [-1, -2]).execute()).toEqual([
      { title: 'committed' },
    ]);
  });

  it('a stream delivers every row, and a reset before its answer is retried', async () => {
    const titles = async (order: 'asc' | 'desc') => {
      const seen: string[] = [];
      for await (const row of kysely
        .selectFrom('kysely_books')
        .select('title')
        .where('id', '>=', firstId)
        .where('id', '<=', lastId)
        .orderBy('id', order)
        .stream())
        seen.push(row.title);
      return seen;
    };
    expect(await titles('asc')).toEqual(readIds.map((id) => `book ${id}`));
    resetOnce(proxy, /order by `id` desc/);
    expect(await titles('desc')).toEqual(readIds.map((id) => `book ${id}`).reverse());
    expect(proxy.fired('reset-before-answer')).toBe(1);
    proxy.clear();
  });

  it('closing it leaves no connection open, the fresh ones that carried a session after a reset included', async () => {
    await kysely.destroy();
    expect(await settledSocketsTo(connection.port)).toBe(0);
  });
});
