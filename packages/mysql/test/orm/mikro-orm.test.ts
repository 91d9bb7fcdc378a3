import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultProxy, MariaDbAddress } from '@bulwark/test-rig';
import { type Connection, flagged, settledSocketsTo, ownTable, underFaults } from './harness.js';

class Book {
  id!: number;
  request!: number | null;
  title!: string;
}

let db: MariaDbAddress;
let proxy: FaultProxy;
let connection: Connection;
let close: () => Promise<void>;
let orm: import('@mikro-orm/mysql').MikroORM;

beforeAll(async () => {
  ({ db, proxy, connection, close } = await flagged());
  await ownTable(db, 'mikro_books');
  // @mikro-orm/mysql brings its own mysql2 (a pinned version) and loads it at init: after the flag.
  const { EntitySchema, MikroORM } = await import('@mikro-orm/mysql');
  const schema = new EntitySchema<Book>({
    class: Book,
    tableName: 'mikro_books',
    properties: {
      id: { type: 'number', primary: true, autoincrement: true },
      request: { type: 'number', nullable: true },
      title: { type: 'string', length: 40 },
    },
  });
  orm = await MikroORM.init({
    entities: [schema],
    dbName: connection.database,
    host: connection.host,
    port: connection.port,
    user: connection.user,
    password: connection.password,
    pool: { min: 0, max: 4 },
  });
});
afterAll(async () => {
  await orm?.close(true);
  await close?.();
});

describe('MikroORM 6 (mysql driver) under enable({ mysql: true })', () => {
  it('under 10% resets before the answer: every read answers, no write runs twice, a failed write says why', async () => {
    await underFaults(proxy, db, 'mikro_books', {
      read: async (id) => (await orm.em.fork().findOne(Book, { id }))?.title,
      write: (request) => orm.em.fork().insert(Book, { request, title: 'written' }),
      readTextVisible: true,
    });
  });

  it('transactional() commits a flush, and rolls it back when its callback throws', async () => {
    await orm.em.fork().transactional(async (em) => {
      em.create(Book, { request: -1, title: 'committed' });
    });
    await expect(
      orm.em.fork().transactional(async (em) => {
        em.create(Book, { request: -2, title: 'rolled back' });
        await em.flush();
        expect(await em.count(Book, { request: -2 })).toBe(1);
        throw new Error('the app changes its mind');
      }),
    ).rejects.toThrow('the app changes its mind');
    expect((await orm.em.fork().find(Book, { request: { $in: [-1, -2] } })).map((b) => b.title)).toEqual(['committed']);
  });

  it('begin() and rollback() on a fork drop what it flushed', async () => {
    const em = orm.em.fork();
    await em.begin();
    em.create(Book, { request: -3, title: 'never' });
    await em.flush();
    await em.rollback();
    expect(await orm.em.fork().count(Book, { request: -3 })).toBe(0);
  });

  it('closing it leaves no connection open, the fresh ones that carried a session after a reset included', async () => {
    await orm.close(true);
    expect(await settledSocketsTo(connection.port)).toBe(0);
  });
});
