import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultProxy, MariaDbAddress } from '@bulwark/test-rig';
import { type Connection, resetOnce, flagged, settledSocketsTo, ownTable, firstId, lastId, readIds, underFaults } from './harness.js';

interface Book {
  id: number;
  request: number | null;
  title: string;
}

let db: MariaDbAddress;
let proxy: FaultProxy;
let connection: Connection;
let close: () => Promise<void>;
let source: import('typeorm').DataSource;
let books: import('typeorm').Repository<Book>;

beforeAll(async () => {
  ({ db, proxy, connection, close } = await flagged());
  await ownTable(db, 'typeorm_books');
  // TypeORM loads its connector package when the DataSource initializes: after the flag.
  const { DataSource, EntitySchema } = await import('typeorm');
  const schema = new EntitySchema<Book>({
    name: 'Book',
    tableName: 'typeorm_books',
    columns: {
      id: { type: Number, primary: true, generated: true },
      request: { type: Number, nullable: true },
      title: { type: String, length: 40 },
    },
  });
  source = new DataSource({
    type: 'mysql',
    connectorPackage: 'mysql2',
    ...connection,
    username: connection.user,
    entities: [schema],
    poolSize: 4,
  });
  await source.initialize();
  books = source.getRepository(schema);
});
afterAll(async () => {
  if (source?.isInitialized) await source.destroy();
  await close?.();
});

describe('TypeORM 0.3 under enable({ mysql: true })', () => {
  it('under 10% resets before the answer: every read answers, no write runs twice, a failed write says why', async () => {
    await underFaults(proxy, db, 'typeorm_books', {
      read: async (id) => (await books.findOneBy({ id }))?.title,
      write: (request) => books.insert({ request, title: 'written' }),
      readTextVisible: true,
    });
  });

  it('a transaction commits, and rolls back when its callback throws', async () => {
    await source.transaction(async (manager) => {
      await manager.getRepository<Book>('Book').insert({ request: -1, title: 'committed' });
    });
    await expect(
      source.transaction(async (manager) => {
        await manager.getRepository<Book>('Book').insert({ request: -2, title: 'rolled back' });
        expect(await manager.getRepository<Book>('Book').countBy({ request: -2 })).toBe(1);
        throw new Error('the app changes its mind');
      }),
    ).rejects.toThrow('the app changes its mind');
    expect((await books.findBy([{ request: -1 }, { request: -2 }])).map((b) => b.title)).toEqual(['committed']);
  });

  it("a query runner's transaction rolls back what it wrote", async () => {
    const runner = source.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    await runner.manager.getRepository<Book>('Book').insert({ request: -3, title: 'never' });
    await runner.rollbackTransaction();
    await runner.release();
    expect(await books.countBy({ request: -3 })).toBe(0);
  });

  it('a stream delivers every row, and a reset before its answer is retried', async () => {
    const titles = async (order: 'ASC' | 'DESC') => {
      const stream = await books
        .createQueryBuilder('b')
        .select('b.title', 'title')
        .where('b.id BETWEEN :firstId AND :lastId', { firstId, lastId })
        .orderBy('b.id', order)
        .stream();
      const seen: string[] = [];
      for await (const row of stream) seen.push((row as { title: string }).title);
      return seen;
    };
    expect(await titles('ASC')).toEqual(readIds.map((id) => `book ${id}`));
    resetOnce(proxy, /ORDER BY `b`.`id` DESC/);
    expect(await titles('DESC')).toEqual(readIds.map((id) => `book ${id}`).reverse());
    expect(proxy.fired('reset-before-answer')).toBe(1);
    proxy.clear();
  });

  it('closing it leaves no connection open, the fresh ones that carried a session after a reset included', async () => {
    await source.destroy();
    expect(await settledSocketsTo(connection.port)).toBe(0);
  });
});
