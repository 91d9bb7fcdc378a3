import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, type MariaDbAddress, spawnNode } from '@bulwark/test-rig';
import {
  type Connection,
  resetOnce,
  type Outcome,
  direct,
  flagged,
  settledSocketsTo,
  judge,
  ownTable,
  tenPercent,
  underFaults,
} from './harness.js';

let db: MariaDbAddress;
let proxy: FaultProxy;
let connection: Connection;
let close: () => Promise<void>;
let sequelize: import('sequelize').Sequelize;
let Book: import('sequelize').ModelStatic<import('sequelize').Model>;
let Sequelize: typeof import('sequelize');

beforeAll(async () => {
  ({ db, proxy, connection, close } = await flagged());
  await ownTable(db, 'sequelize_books');
  // Loaded after the flag, as `bulwark/register` would have it: Sequelize requires mysql2 itself.
  Sequelize = await import('sequelize');
  const { DataTypes } = Sequelize;
  sequelize = new Sequelize.Sequelize(connection.database, connection.user, connection.password, {
    host: connection.host,
    port: connection.port,
    dialect: 'mysql',
    logging: false,
    // Sequelize sets it on every new connection with `SET time_zone = '+05:00'`.
    timezone: '+05:00',
    pool: { max: 4 },
  });
  Book = sequelize.define(
    'Book',
    { id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true }, request: DataTypes.INTEGER, title: DataTypes.STRING(40) },
    { tableName: 'sequelize_books', timestamps: false },
  );
});
afterAll(async () => {
  await sequelize?.close();
  await close?.();
});

const titleOf = (book: import('sequelize').Model | null) => book?.get('title') as string | undefined;

describe('Sequelize 6 under enable({ mysql: true })', () => {
  it('under 10% resets before the answer: every read answers, no write runs twice, a failed write says why', async () => {
    await underFaults(proxy, db, 'sequelize_books', {
      read: async (id) => titleOf(await Book.findByPk(id)),
      write: (request) => Book.create({ request, title: 'written' }),
      readTextVisible: true,
    });
  });

  it("its own connection setup holds: SET time_zone is in force, and still is on the read's retry", async () => {
    const [first] = await sequelize.query('SELECT @@session.time_zone AS tz', { type: Sequelize.QueryTypes.SELECT });
    expect(first).toEqual({ tz: '+05:00' });
    resetOnce(proxy, /AS retried_tz/);
    const [retried] = await sequelize.query('SELECT @@session.time_zone AS retried_tz', { type: Sequelize.QueryTypes.SELECT });
    expect(proxy.fired('reset-before-answer')).toBeGreaterThanOrEqual(1);
    expect(retried).toEqual({ retried_tz: '+05:00' });
    proxy.clear();
  });

  it('a managed transaction commits, and rolls back when its callback throws', async () => {
    await sequelize.transaction(async (transaction) => {
      await Book.create({ request: -1, title: 'committed' }, { transaction });
    });
    await expect(
      sequelize.transaction(async (transaction) => {
        await Book.create({ request: -2, title: 'rolled back' }, { transaction });
        throw new Error('the app changes its mind');
      }),
    ).rejects.toThrow('the app changes its mind');
    expect((await Book.findAll({ where: { request: [-1, -2] } })).map(titleOf)).toEqual(['committed']);
  });

  it('an unmanaged transaction rolls back what it wrote, and reads its own writes before that', async () => {
    const transaction = await sequelize.transaction();
    await Book.create({ request: -3, title: 'never' }, { transaction });
    expect(await Book.count({ where: { request: -3 }, transaction })).toBe(1);
    await transaction.rollback();
    expect(await Book.count({ where: { request: -3 } })).toBe(0);
  });

  it('closing it leaves no connection open, the fresh ones that carried a session after a reset included', async () => {
    await sequelize.close();
    expect(await settledSocketsTo(connection.port)).toBe(0);
  });
});

describe('a Sequelize app run with BULWARK_MYSQL=1 node --import bulwark/register', () => {
  const app = fileURLToPath(new URL('./fixtures/sequelize-app.cjs', import.meta.url));
  // `bulwark/register` resolves from the bulwark package, as from an app that installed it.
  const cwd = fileURLToPath(new URL('../../../bulwark', import.meta.url));

  async function run(table: string, env: Record<string, string>, execArgv: string[]): Promise<{ reads: Outcome[]; writes: Outcome[] }> {
    await ownTable(db, table);
    tenPercent(proxy);
    const child = spawnNode(app, { env: { DB_PORT: String(connection.port), DB_TABLE: table, ...env }, execArgv, cwd });
    // An app that does not exit once its work is done is a failure too (a guard holding it open).
    const timer = setTimeout(() => child.process.kill('SIGKILL'), 40_000);
    const exit = await child.exited;
    clearTimeout(timer);
    proxy.clear();
    expect(exit, `the app did not exit by itself; it printed ${child.stdout.slice(0, 500)} ${child.stderr}`).toEqual({
      code: 0,
      signal: null,
    });
    return JSON.parse(child.stdout) as { reads: Outcome[]; writes: Outcome[] };
  }

  it('every read answers, no write runs twice, a failed write says why; without the flag reads fail', { timeout: 120_000 }, async () => {
    const raw = await run('sequelize_app_raw', {}, []);
    expect(raw.reads.filter((o) => !o.ok).length).toBeGreaterThan(0);
    const { reads, writes } = await run('sequelize_app', { BULWARK_MYSQL: '1' }, ['--import', 'bulwark/register']);
    await judge(proxy, db, 'sequelize_app', reads, writes, true);
    expect(reads.filter((o) => o.ok).length).toBeGreaterThan(295);
    await direct(db, 'DROP TABLE sequelize_app_raw', 'DROP TABLE sequelize_app');
  });
});
