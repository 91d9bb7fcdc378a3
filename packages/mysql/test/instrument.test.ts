import Module, { createRequire } from 'node:module';
import diagnostics_channel from 'node:diagnostics_channel';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FaultProxy } from '@bulwark/test-rig';
import { MysqlAlreadyInstrumentedError, instrumentMysql2 } from '../dist/index.js';
import { exactly, rig } from './helpers.js';

type Connection = { addCommand: unknown };
type Mysql2 = {
  Connection: { prototype: Connection };
  createPool(config: object): { promise(): { query(sql: string): Promise<[unknown]>; end(): Promise<void> } };
};
const require = createRequire(import.meta.url);
const loader = Module as unknown as { _load: (...args: unknown[]) => unknown };
const loadBefore = loader._load;
let proxy: FaultProxy;
let through: object;

/** `require('mysql2')` as a module loaded for the first time would get it (a copy of its own). */
function freshMysql2(): Mysql2 {
  for (const path of Object.keys(require.cache)) if (/[/\\]node_modules[/\\]mysql2[/\\]/.test(path)) delete require.cache[path];
  return require('mysql2') as Mysql2;
}
const hooked = (mysql2: Mysql2) =>
  (mysql2.Connection.prototype.addCommand as { name: string }).name === 'addCommand' &&
  !/native code/.test(String(mysql2.Connection.prototype.addCommand)) &&
  String(mysql2.Connection.prototype.addCommand).includes('policyOf');

beforeAll(async () => ({ proxy, through } = await rig()));
afterAll(async () => proxy?.close());
afterEach(() => {
  loader._load = loadBefore;
  proxy.clear();
});

describe('instrumentMysql2', () => {
  it("hooks mysql2's own classes, loaded before or after it, and leaves its factories alone", async () => {
    const before = freshMysql2();
    const factory = before.createPool;
    const guard = instrumentMysql2();
    const after = freshMysql2();
    expect(hooked(before)).toBe(true);
    expect(hooked(after)).toBe(true);
    expect(before.createPool).toBe(factory);
    const pool = after.createPool(through).promise();
    proxy.fault({ kind: 'reset-before-answer', count: 1, match: exactly('SELECT 41 AS n') });
    expect((await pool.query('SELECT 41 AS n'))[0]).toEqual([{ n: 41 }]);
    await pool.end();
    await guard.close();
    expect(hooked(before) || hooked(after)).toBe(false);
  });

  it('close is awaitable and idempotent, undoes the hook even when someone wrapped the loader after it, and leaves no listener or handle', async () => {
    const listeners = ['exit', 'uncaughtException', 'unhandledRejection'].map((e) => process.listenerCount(e));
    const resources = process.getActiveResourcesInfo().length;
    const guard = instrumentMysql2();
    const ours = loader._load;
    loader._load = function (this: unknown, ...args: unknown[]) {
      return ours.apply(this, args); // an APM agent wraps the loader on top of ours
    };
    const first = guard.close();
    expect(guard.close()).toBe(first);
    await first;
    expect(hooked(freshMysql2())).toBe(false);
    expect(['exit', 'uncaughtException', 'unhandledRejection'].map((e) => process.listenerCount(e))).toEqual(listeners);
    expect(process.getActiveResourcesInfo().length).toBe(resources);
  });

  it('a second instrumentation throws a coded error until the first is closed', async () => {
    const guard = instrumentMysql2();
    expect(() => instrumentMysql2()).toThrow(MysqlAlreadyInstrumentedError);
    expect(() => instrumentMysql2()).toThrow(expect.objectContaining({ code: 'ERR_MYSQL_ALREADY_INSTRUMENTED' }));
    await guard.close();
    await instrumentMysql2().close();
  });

  it('a throwing onRetry or channel subscriber changes nothing: the read answers, the error surfaces on the next tick', async () => {
    const surfaced: unknown[] = [];
    const listeners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    const catcher = (error: unknown) => surfaced.push(error);
    process.on('uncaughtException', catcher);
    const subscriber = () => {
      throw new Error('subscriber broke');
    };
    diagnostics_channel.subscribe('bulwark:mysql:retry', subscriber);
    const guard = instrumentMysql2({
      retryReads: {
        onRetry: () => {
          throw new Error('onRetry broke');
        },
      },
    });
    try {
      const pool = freshMysql2().createPool(through).promise();
      proxy.fault({ kind: 'reset-before-answer', count: 1, match: exactly('SELECT 44 AS n') });
      expect((await pool.query('SELECT 44 AS n'))[0]).toEqual([{ n: 44 }]);
      await pool.end();
      await new Promise((resolve) => setImmediate(resolve));
      expect(surfaced.map((e) => (e as Error).message).sort()).toEqual(['onRetry broke', 'subscriber broke']);
    } finally {
      diagnostics_channel.unsubscribe('bulwark:mysql:retry', subscriber);
      process.removeListener('uncaughtException', catcher);
      for (const l of listeners) process.on('uncaughtException', l);
      await guard.close();
    }
  });
});
