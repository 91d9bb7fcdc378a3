import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { InvalidOptionError } from '@bulwark/core';
import type mysql from 'mysql2/promise';
import { hookClass, kPolicy, mysql2Class } from './hook.js';
import type { Connection, ConnectionConfig, Pool } from './mysql2.js';
import { type WrapOptions, resolvePolicy } from './options.js';

const require = createRequire(import.meta.url);
const hookedCopies = new Set<string>();

/** Hooks the mysql2 copy in `root` (its package directory) once: its connection, pool connection and pool classes. */
function hookCopy(root: string): void {
  if (hookedCopies.has(root)) return;
  hookedCopies.add(root);
  for (const file of ['lib/connection.js', 'lib/pool_connection.js', 'lib/pool.js']) {
    const value = require(join(root, file)) as { prototype: object };
    const kind = mysql2Class(value);
    if (kind) hookClass(value, kind);
  }
}

/** Hooks the mysql2 copy an object of it came from (found through the module cache). */
function hookCopyOf(instance: object): void {
  const constructor = instance.constructor;
  for (const [path, cached] of Object.entries(require.cache)) {
    if (cached?.exports !== constructor) continue;
    const at = path.lastIndexOf(`${sep}lib${sep}`);
    if (at >= 0) hookCopy(path.slice(0, at));
    return;
  }
}

// Loaded on first use, as mysql2 itself would be.
let mysql2: typeof mysql | undefined;
function load(): typeof mysql {
  if (mysql2) return mysql2;
  mysql2 = require('mysql2/promise') as typeof mysql;
  hookCopy(dirname(require.resolve('mysql2')));
  return mysql2;
}

function corePoolOf(pool: unknown): Pool {
  const p = pool as { pool?: Pool } | null;
  const core = (p?.pool ?? p) as Pool | null;
  if (typeof core?.getConnection !== 'function' || !core.config?.connectionConfig)
    throw new InvalidOptionError('pool', pool, 'a mysql2 pool (from mysql2 or mysql2/promise createPool)');
  return core;
}

/** `mysql2/promise`'s own `createPool`; its statements retry reads a dead connection lost. */
export function createPool(config: mysql.PoolOptions | string, options?: WrapOptions): mysql.Pool {
  return wrapPool(load().createPool(config as mysql.PoolOptions), options);
}

/** `mysql2/promise`'s own `createConnection`; a read is retried on a fresh connection while the session can be carried over. */
export async function createConnection(config: mysql.ConnectionOptions | string, options?: WrapOptions): Promise<mysql.Connection> {
  const policy = resolvePolicy(options); // bad options throw before connecting
  const connection = await load().createConnection(config as mysql.ConnectionOptions);
  (connection as unknown as { connection: Connection }).connection.config[kPolicy] = policy;
  return connection;
}

/**
 * Gives an existing mysql2 pool (`mysql2` or `mysql2/promise`) the retry rules and returns the same
 * pool: the object, its methods and events stay mysql2's own.
 */
export function wrapPool<P extends object>(pool: P, options?: WrapOptions): P {
  const core = corePoolOf(pool);
  const policy = resolvePolicy(options, core.config.connectionConfig);
  hookCopyOf(core);
  core.config.connectionConfig[kPolicy] = policy;
  const all = (core as unknown as { _allConnections?: { length: number; get(i: number): Connection } })._allConnections;
  for (let i = 0; all && i < all.length; i++) all.get(i).config[kPolicy] = policy;
  return pool;
}

/** Gives an existing mysql2 connection (`mysql2` or `mysql2/promise`) the retry rules and returns it. */
export function wrapConnection<C extends object>(connection: C, options?: WrapOptions): C {
  const core = ((connection as { connection?: Connection }).connection ?? connection) as Connection;
  if (typeof core?.addCommand !== 'function' || !core.config) throw new InvalidOptionError('connection', connection, 'a mysql2 connection');
  const policy = resolvePolicy(options);
  hookCopyOf(core);
  core.config[kPolicy] = policy;
  return connection;
}

/** True when a pool or connection has retry rules of its own (from this package's functions). */
export function isWrapped(value: unknown): boolean {
  const v = value as {
    pool?: { config?: { connectionConfig?: ConnectionConfig } };
    connection?: { config?: ConnectionConfig };
    config?: ConnectionConfig & { connectionConfig?: ConnectionConfig };
  } | null;
  const config = v?.pool?.config?.connectionConfig ?? v?.config?.connectionConfig ?? v?.connection?.config ?? v?.config;
  return typeof config === 'object' && config !== null && config[kPolicy] !== undefined;
}

/** @deprecated mysql2's objects are no longer wrapped: returns `value` itself. */
export function original<T>(value: T): T {
  return value;
}

/** mysql2's query options plus the caller's mark: `{ sql, idempotent: true | false }` overrides the classifier. */
export type QueryOptions = mysql.QueryOptions & { readonly idempotent?: boolean };
