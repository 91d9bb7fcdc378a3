import { createRequire } from 'node:module';
import type mysql from 'mysql2/promise';
import { isWrapped, original } from './forward.js';
import { reconnect, wrapCallbackConnection, wrapPromiseConnection } from './held.js';
import { type ServerConfig, type WrapOptions, resolvePolicy } from './options.js';
import { wrapPool } from './pool.js';
import type { CoreConnection } from './channel.js';

// Loaded on first use: importing mysql2 early would freeze its ESM named exports before a flag patches them.
let mysql2: typeof mysql | undefined;
const load = (): typeof mysql => (mysql2 ??= createRequire(import.meta.url)('mysql2/promise') as typeof mysql);

/** `mysql2/promise`'s `createPool`, whose `query` and `execute` retry reads a dead connection lost. */
export function createPool(config: mysql.PoolOptions | string, options?: WrapOptions): mysql.Pool {
  return wrapPool(original(load().createPool)(config as mysql.PoolOptions), options);
}

/** `mysql2/promise`'s `createConnection`; a read is retried on a fresh connection while the session has no state. */
export async function createConnection(config: mysql.ConnectionOptions | string, options?: WrapOptions): Promise<mysql.Connection> {
  const connection = await original(load().createConnection)(config as mysql.ConnectionOptions);
  return wrapConnection(connection, options);
}

/** Wraps an existing `mysql2/promise` or callback `mysql2` connection. */
export function wrapConnection<C extends object>(connection: C, options?: WrapOptions): C {
  if (isWrapped(connection)) return connection;
  const promiseForm = (connection as { connection?: CoreConnection }).connection;
  const core = (promiseForm ?? connection) as CoreConnection & { config: ServerConfig };
  const policy = resolvePolicy(options, core.config);
  const renew = () => reconnect(core);
  const wrapped = promiseForm ? wrapPromiseConnection(connection as never, renew, policy) : wrapCallbackConnection(connection as never, renew, policy);
  return wrapped as C;
}

/** mysql2's query options plus the caller's mark: `{ sql, idempotent: true | false }` overrides the classifier. */
export type QueryOptions = mysql.QueryOptions & { readonly idempotent?: boolean };
