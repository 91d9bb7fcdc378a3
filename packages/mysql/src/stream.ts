import { EventEmitter } from 'node:events';
import { Readable, type ReadableOptions } from 'node:stream';
import type { Policy } from './options.js';
import type { Channel, CoreConnection } from './channel.js';
import { AttemptError, withRetries } from './retry.js';
import type { Statement } from './statement.js';
import type { MysqlError } from './transient.js';

/** What `query(sql)` without a callback returns: mysql2's row events, and `.stream()`. */
export interface RetryingQuery extends EventEmitter {
  stream(options?: ReadableOptions): Readable;
}

interface PausableConnection extends CoreConnection {
  pause?(): void;
  resume?(): void;
}

/**
 * Runs a streaming query under the retry rules: `fields`, `result` and `end` events like mysql2's
 * Query. Once a row reached the caller it is never retried: reason `rows-delivered`.
 */
export function retryingQuery(channel: Channel, policy: Policy, statement: Statement): RetryingQuery {
  const emitter = new EventEmitter() as RetryingQuery;
  let connection: PausableConnection | undefined;
  let delivered = false;
  const once = (c: PausableConnection) =>
    new Promise<void>((resolve, reject) => {
      connection = c;
      const query = (statement.values === undefined ? c[statement.method](statement.request) : c[statement.method](statement.request, statement.values)) as EventEmitter;
      query.on('fields', (...args) => emitter.emit('fields', ...args));
      query.on('result', (...args) => {
        delivered = true;
        emitter.emit('result', ...args);
      });
      // mysql2 reports a lost connection to the connection, not to a query without a callback.
      const lost = (error: MysqlError) => reject(AttemptError.lost(error));
      const events = c as unknown as EventEmitter;
      events.once('error', lost);
      query.on('error', lost);
      query.on('end', () => {
        events.removeListener('error', lost);
        resolve();
      });
    });
  withRetries(channel, policy, statement, once, () => delivered).then(
    () => emitter.emit('end'),
    (error) => {
      emitter.emit('error', error);
      emitter.emit('end');
    },
  );
  emitter.stream = (options) => toReadable(emitter, () => connection, options);
  return emitter;
}

function toReadable(query: EventEmitter, connection: () => PausableConnection | undefined, options: ReadableOptions = {}): Readable {
  const stream = new Readable({ ...options, objectMode: true, read: () => connection()?.resume?.() });
  query.on('result', (row) => {
    if (!stream.destroyed && !stream.push(row)) connection()?.pause?.();
  });
  query.on('fields', (fields) => stream.emit('fields', fields));
  query.on('error', (error) => stream.destroy(error));
  query.on('end', () => stream.push(null));
  return stream;
}
