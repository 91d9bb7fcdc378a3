import type { Channel, HeldChannel } from './channel.js';
import type { Policy } from './options.js';
import { runStatement } from './retry.js';
import { statementOf } from './statement.js';
import { retryingQuery } from './stream.js';

/** Which mysql2 API a wrapper answers as: `mysql2/promise` or the callback `mysql2`. */
export type Form = 'promise' | 'callback';
type Callback = (error: unknown, ...results: unknown[]) => void;
type Method = (...args: unknown[]) => unknown;

/**
 * `query` and `execute` that run under the retry rules and answer as mysql2 does in `form`: a
 * promise, or the callback (a streaming query when there is none).
 */
export function statementMethods(channel: Channel, policy: Policy, form: Form) {
  const run = (method: 'query' | 'execute') => (sql: unknown, values?: unknown, callback?: Callback) => {
    if (typeof values === 'function') {
      if (form === 'promise') throw new Error('Callback function is not available with promise clients.');
      [values, callback] = [undefined, values as Callback];
    }
    const statement = statementOf(method, sql, values);
    channel.track?.(statement.sql);
    if (form === 'promise') return runStatement(channel, policy, statement);
    if (!callback) return retryingQuery(channel, policy, statement);
    runStatement(channel, policy, statement).then(([rows, fields]) => callback(null, rows, fields), (error) => callback(error));
    return undefined;
  };
  return { query: run('query'), execute: run('execute') };
}

/**
 * `beginTransaction`, `commit` and `rollback` of the connection `current()` returns, keeping the
 * channel's transaction state (no retry inside a transaction), answering as mysql2 does in `form`.
 */
export function transactionMethods(channel: HeldChannel, form: Form, current: () => object) {
  const make = (method: 'beginTransaction' | 'commit' | 'rollback') => (callback?: Callback) => {
    if (method === 'beginTransaction') channel.begin();
    const settled = () => (method === 'beginTransaction' ? undefined : channel.end());
    const connection = current() as Record<typeof method, Method>;
    if (form === 'promise')
      return (async () => {
        const result = await connection[method]();
        settled();
        return result;
      })();
    return connection[method]((error: unknown, ...rest: unknown[]) => {
      if (!error) settled();
      callback?.(error, ...rest);
    });
  };
  return { beginTransaction: make('beginTransaction'), commit: make('commit'), rollback: make('rollback') };
}
