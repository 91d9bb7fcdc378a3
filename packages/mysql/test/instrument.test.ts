import Module, { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { instrumentMysql2, isWrapped, original } from '../dist/index.js';

type Mysql2 = { createPool(config: object): { end(): unknown } };
const require = createRequire(import.meta.url);
const loader = Module as unknown as { _load: (...args: unknown[]) => unknown };

/** `require('mysql2')` as a module loaded for the first time would get it. */
function freshMysql2(): Mysql2 {
  for (const path of Object.keys(require.cache)) if (/[/\\]node_modules[/\\]mysql2[/\\](index|promise)\.js$/.test(path)) delete require.cache[path];
  return require('mysql2') as Mysql2;
}

function isPatched(mysql2: Mysql2): boolean {
  const pool = mysql2.createPool({ host: '127.0.0.1', port: 1 });
  void pool.end();
  return original(mysql2.createPool) !== mysql2.createPool && isWrapped(pool);
}

const loadBefore = loader._load;
afterEach(() => {
  loader._load = loadBefore;
});

describe('instrumentMysql2', () => {
  it('patches mysql2 loaded after it, and stops once closed even when someone wrapped the loader after it', () => {
    const close = instrumentMysql2();
    const hooked = loader._load;
    // An APM agent (or any later hook) wraps the loader on top of ours.
    loader._load = function (this: unknown, ...args: unknown[]) {
      return hooked.apply(this, args);
    };
    expect(isPatched(freshMysql2())).toBe(true);
    close();
    expect(isPatched(freshMysql2())).toBe(false);
  });

  it('close is idempotent and lets a second instrumentation start', () => {
    const close = instrumentMysql2();
    expect(() => instrumentMysql2()).toThrow(/already instrumented/);
    close();
    close();
    const again = instrumentMysql2();
    again();
  });
});
