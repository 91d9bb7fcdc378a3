import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultProxy, MariaDbAddress } from '@bulwark/test-rig';
import { type Connection, resetOnce, flagged, settledSocketsTo, ownTable, firstId, lastId, readIds, underFaults } from './harness.js';

let db: MariaDbAddress;
let proxy: FaultProxy;
let connection: Connection;
let close: () => Promise<void>;
let knex: import('knex').Knex;

beforeAll(async () => {
  ({ db, proxy, connection, close } = await flagged());
  await ownTable(db, 'knex_books');
  // Knex requires mysql2 itself when the client starts: after the flag, as with bulwark/register.
  const { default: Knex } = await import('knex');
  knex = Knex({ client: 'mysql2', connection, pool: { min: 0, max: 4 } });
});
afterAll(async () => {
  await knex?.destroy();
  await close?.();
});

const books = () => knex<{ id: number; request: number | null; title: string }>('knex_books');

describe('Knex 3 under enable({ mysql: true })', () => {
  it('under 10% resets before the answer: every read answers, no write runs twice, a failed write says why', async () => {
    await underFaults(proxy, db, 'knex_books', {
      read: async (id) => (await books().where({ id }).first())?.title,
      write: (request) => books().insert({ request, title: 'written' }),
      readTextVisible: true,
    });
  });

  it('a transaction commits, and rolls back when its callback throws', async () => {
    await knex.transaction(async (trx) => {
      await trx('knex_books').insert({ request: -1, title: 'committed' });
    });
    await expect(
      knex.transaction(async (trx) => {
        await trx('knex_books').insert({ request: -2, title: 'rolled back' });
        expect(await trx('knex_books').where({ request: -2 }).count({ n: '*' })).toEqual([{ n: 1 }]);
        throw new Error('the app changes its mind');
      }),
    ).rejects.toThrow('the app changes its mind');
    expect(await books().whereIn('request', [-1, -2]).pluck('title')).toEqual(['committed']);
  });

  it('a stream delivers every row, and a reset before its answer is retried', async () => {
    const titles: string[] = [];
    for await (const row of books().whereBetween('id', [firstId, lastId]).orderBy('id').stream())
      titles.push((row as { title: string }).title);
    expect(titles).toEqual(readIds.map((id) => `book ${id}`));
    resetOnce(proxy, /^select .* order by `id` desc/);
    const again: string[] = [];
    for await (const row of books().whereBetween('id', [firstId, lastId]).orderBy('id', 'desc').stream())
      again.push((row as { title: string }).title);
    expect(proxy.fired('reset-before-answer')).toBe(1);
    expect(again).toEqual(readIds.map((id) => `book ${id}`).reverse());
    proxy.clear();
  });

  it('closing it leaves no connection open, the fresh ones that carried a session after a reset included', async () => {
    await knex.destroy();
    expect(await settledSocketsTo(connection.port)).toBe(0);
  });
});
