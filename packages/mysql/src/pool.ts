import { InvalidOptionError } from '@bulwark/core';
import { type CorePool, acquireLive, poolChannel } from './channel.js';
import { forward, isWrapped } from './forward.js';
import { wrapCallbackConnection, wrapPromiseConnection } from './held.js';
import { statementMethods } from './methods.js';
import { type Policy, type WrapOptions, resolvePolicy } from './options.js';

type Callback = (error: unknown, ...results: unknown[]) => void;
type AnyPool = Record<string, unknown> & { pool?: CorePool };

function corePoolOf(pool: unknown): CorePool {
  const p = pool as AnyPool;
  const core = (p?.pool ?? p) as CorePool;
  if (typeof core?.getConnection !== 'function' || !core.config?.connectionConfig)
    throw new InvalidOptionError('pool', pool, 'a mysql2 pool (from mysql2 or mysql2/promise createPool)');
  return core;
}

/**
 * Wraps an existing `mysql2/promise` pool (or a callback `mysql2` pool) so that `query` and
 * `execute` retry under the rules, and `getConnection()` hands out connections that do too.
 * Everything else (events, `end`, `escape`, `pool`) is the pool's own.
 */
export function wrapPool<P extends object>(pool: P, options?: WrapOptions): P {
  if (isWrapped(pool)) return pool;
  const core = corePoolOf(pool);
  const policy = resolvePolicy(options, core.config.connectionConfig);
  return (pool as AnyPool).pool ? wrapPromisePool(pool, core, policy) : wrapCallbackPool(pool, core, policy);
}

function wrapPromisePool<P extends object>(pool: P, core: CorePool, policy: Policy): P {
  const channel = poolChannel(core);
  let callbackPool: CorePool | undefined;
  return forward(pool, () => pool, {
    ...statementMethods(channel, policy, 'promise'),
    getConnection: async () => {
      const held = await (pool as unknown as { getConnection(): Promise<Parameters<typeof wrapPromiseConnection>[0]> }).getConnection();
      return wrapPromiseConnection(held, () => acquireLive(core), policy);
    },
    get pool() {
      return (callbackPool ??= wrapCallbackPool(core, core, policy));
    },
  });
}

function wrapCallbackPool<P extends object>(pool: P, core: CorePool, policy: Policy): P {
  const channel = poolChannel(core);
  let promisePool: object | undefined;
  return forward(pool, () => pool, {
    ...statementMethods(channel, policy, 'callback'),
    getConnection: (callback: Callback) =>
      core.getConnection((error, held) => {
        if (error) callback(error);
        else callback(null, wrapCallbackConnection(held as never, () => acquireLive(core), policy));
      }),
    promise: (promiseImpl?: unknown) => {
      promisePool ??= wrapPromisePool((core as unknown as { promise(p?: unknown): object }).promise(promiseImpl), core, policy);
      return promisePool;
    },
  });
}
