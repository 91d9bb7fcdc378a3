import mysql from 'mysql2/promise';
import { inject } from 'vitest';
import { type FaultProxy, type MariaDbAddress, sharedMariaDb, startFaultProxy } from '@bulwark/test-rig';

/** The run's shared MariaDB, a fault proxy in front of it, and pool options that go through it. */
export async function rig(): Promise<{ db: MariaDbAddress; proxy: FaultProxy; through: mysql.PoolOptions }> {
  const db = sharedMariaDb(inject('mariadb'));
  const proxy = await startFaultProxy(db);
  const through = { host: proxy.host, port: proxy.port, user: db.user, password: db.password, database: db.database, connectionLimit: 4 };
  return { db, proxy, through };
}

/** Runs setup SQL straight against the server, not through the proxy. */
export async function direct(db: MariaDbAddress, ...statements: string[]): Promise<unknown[]> {
  const conn = await mysql.createConnection({ host: db.host, port: db.port, user: db.user, database: db.database });
  const results: unknown[] = [];
  for (const sql of statements) results.push((await conn.query(sql))[0]);
  await conn.end();
  return results;
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function failure(
  promise: Promise<unknown>,
): Promise<Error & { code?: string; bulwark?: { attempts: number; retried: boolean; reason: string } }> {
  try {
    await promise;
  } catch (error) {
    return error as never;
  }
  throw new Error('expected a failure, got a result');
}

/** Matches exactly one statement text in the proxy (COM_QUERY or COM_STMT_PREPARE). */
export const exactly = (sql: string) => (text: string) => text === sql;
