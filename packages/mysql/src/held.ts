import { HeldChannel } from './channel.js';
import { forward } from './forward.js';
import type { Policy } from './options.js';
import { type CoreConnection, runStatement, statementOf } from './retry.js';
import { retryingQuery } from './stream.js';

type Listener = (...args: unknown[]) => void;
interface Emitter {
  on(event: string | symbol, listener: Listener): unknown;
  once(event: string | symbol, listener: Listener): unknown;
  removeListener(event: string | symbol, listener: Listener): unknown;
}
type PromiseConnection = Emitter & { connection: CoreConnection } & Record<string, (...args: unknown[]) => unknown>;
type Callback = (error: unknown, ...results: unknown[]) => void;

/** Remembers the listeners a caller adds, to move them to a fresh connection after a swap. */
class Listeners {
  #added: Array<[string | symbol, Listener, 'on' | 'once']> = [];

  overrides(target: () => Emitter, self: () => unknown): Record<string, unknown> {
    const add = (how: 'on' | 'once') => (event: string | symbol, listener: Listener) => {
      this.#added.push([event, listener, how]);
      target()[how](event, listener);
      return self();
    };
    const remove = (event: string | symbol, listener: Listener) => {
      this.#added = this.#added.filter(([e, l]) => e !== event || l !== listener);
      target().removeListener(event, listener);
      return self();
    };
    return { on: add('on'), addListener: add('on'), once: add('once'), removeListener: remove, off: remove };
  }

  moveTo(fresh: Emitter): void {
    for (const [event, listener, how] of this.#added) fresh[how](event, listener);
  }
}

/** Wraps a `mysql2/promise` connection the caller holds (from `getConnection()` or `createConnection()`). */
export function wrapPromiseConnection(held: PromiseConnection, renew: () => Promise<CoreConnection>, policy: Policy): PromiseConnection {
  let current = held;
  const listeners = new Listeners();
  const channel = new HeldChannel(held.connection, renew, (fresh) => {
    current = (fresh as unknown as { promise(): PromiseConnection }).promise();
    listeners.moveTo(current);
  });
  const run = (method: 'query' | 'execute') => (sql: unknown, values?: unknown) => {
    if (typeof values === 'function') throw new Error('Callback function is not available with promise clients.');
    const statement = statementOf(method, sql, values);
    channel.track(statement.sql);
    return runStatement(channel, policy, statement);
  };
  const transaction = (method: string, after: () => void) => async () => {
    if (method === 'beginTransaction') channel.begin();
    const result = await current[method]!();
    after();
    return result;
  };
  const wrapped: PromiseConnection = forward(held, () => current, {
    query: run('query'),
    execute: run('execute'),
    beginTransaction: transaction('beginTransaction', () => {}),
    commit: transaction('commit', () => channel.end()),
    rollback: transaction('rollback', () => channel.end()),
    ...listeners.overrides(() => current, () => wrapped),
  });
  return wrapped;
}

/** Wraps a `mysql2` callback-API connection the caller holds. */
export function wrapCallbackConnection(held: CoreConnection & Emitter, renew: () => Promise<CoreConnection>, policy: Policy): CoreConnection {
  const listeners = new Listeners();
  const channel: HeldChannel = new HeldChannel(held, renew, (fresh) => listeners.moveTo(fresh as unknown as Emitter));
  const run = (method: 'query' | 'execute') => (sql: unknown, values?: unknown, callback?: Callback) => {
    if (typeof values === 'function') [values, callback] = [undefined, values as Callback];
    const statement = statementOf(method, sql, values);
    channel.track(statement.sql);
    if (!callback) return retryingQuery(channel, policy, statement);
    runStatement(channel, policy, statement).then(([rows, fields]) => callback(null, rows, fields), (error) => callback(error));
    return undefined;
  };
  const transaction = (method: string, effect: () => void) => (callback?: Callback) => {
    if (method === 'beginTransaction') channel.begin();
    const current = channel.current as unknown as Record<string, (cb: Callback) => unknown>;
    return current[method]!((error, ...rest) => {
      if (!error) effect();
      callback?.(error, ...rest);
    });
  };
  const wrapped: CoreConnection = forward(held, () => channel.current, {
    query: run('query'),
    execute: run('execute'),
    beginTransaction: transaction('beginTransaction', () => {}),
    commit: transaction('commit', () => channel.end()),
    rollback: transaction('rollback', () => channel.end()),
    ...listeners.overrides(() => channel.current as unknown as Emitter, () => wrapped),
  });
  return wrapped;
}

/** A fresh standalone connection with the same config as `old` (mysql2's own constructor). */
export function reconnect(old: CoreConnection): Promise<CoreConnection> {
  const Connection = old.constructor as new (options: { config: unknown }) => CoreConnection & Emitter;
  const fresh = new Connection({ config: (old as unknown as { config: unknown }).config });
  return new Promise((resolve, reject) => {
    const onError = (error: unknown) => reject(error);
    fresh.once('error', onError as Listener);
    fresh.once('connect', () => {
      fresh.removeListener('error', onError as Listener);
      resolve(fresh);
    });
  });
}
