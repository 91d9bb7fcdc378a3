import Module from 'node:module';
import { Cleanup, processGlobal } from '@bulwark/core';
import { wrapConnection } from './create.js';
import { kOriginal } from './forward.js';
import { type WrapOptions, checkWrapOptions } from './options.js';
import { wrapPool } from './pool.js';

// One per process: an ESM and a CJS copy of this package must not both patch mysql2.
const instrumented = processGlobal('mysql.instrumented', () => ({ active: false }));
const factories = ['createPool', 'createConnection', 'connect'] as const;

type Factory = ((...args: unknown[]) => unknown) & { [kOriginal]?: Factory };
type Exports = Record<string, unknown>;
type Load = (request: string, parent: unknown, isMain: boolean) => unknown;
const loader = Module as unknown as { _load: Load; _cache: Record<string, { exports: unknown } | undefined> };

/** True when `exports` is mysql2's (`mysql2` or `mysql2/promise`) module object. */
function isMysql2(request: string, exports: unknown): exports is Exports {
  if (!/(^|[/\\])mysql2([/\\](promise|index)(\.js)?)?$/.test(request)) return false;
  const e = exports as Exports | null;
  return typeof e === 'object' && e !== null && typeof e.createPool === 'function' && typeof e.createPoolCluster === 'function';
}

function patch(exports: Exports, options: WrapOptions, cleanup: Cleanup): void {
  for (const name of factories) {
    const factory = exports[name] as Factory | undefined;
    if (typeof factory !== 'function' || factory[kOriginal]) continue;
    const wrapOne = (made: object) => (name === 'createPool' ? wrapPool(made, options) : wrapConnection(made, options));
    const patched: Factory = function (this: unknown, ...args: unknown[]) {
      const made = factory.apply(this, args);
      // mysql2/promise's createConnection resolves once connected; mysql2's returns at once.
      if (made instanceof Promise) return made.then((m: object) => wrapOne(m));
      return wrapOne(made as object);
    };
    patched[kOriginal] = factory;
    exports[name] = patched;
    cleanup.defer(() => {
      if (exports[name] === patched) exports[name] = factory;
    });
  }
}

/**
 * Makes every pool and connection created through `mysql2` and `mysql2/promise` retry reads, with
 * no code change: patches the modules already loaded and, through the CommonJS loader (which ESM
 * imports of mysql2 also go through on Node 20 and 24), the ones loaded later. ESM named imports
 * bound before this ran keep the unpatched function. Returns the undo.
 */
export function instrumentMysql2(options: WrapOptions = {}): () => void {
  checkWrapOptions(options); // bad options throw now, naming them
  if (instrumented.active) throw new Error('mysql2 is already instrumented by bulwark in this process; close the other guard first');
  instrumented.active = true;
  const cleanup = new Cleanup();
  cleanup.defer(() => (instrumented.active = false));
  const load = loader._load;
  const hooked = function (this: unknown, request: string, parent: unknown, isMain: boolean) {
    const exports = load.call(this, request, parent, isMain);
    // Someone may have wrapped _load after us, so the hook can stay in the chain after close.
    if (!cleanup.done && request.includes('mysql2') && isMysql2(request, exports)) patch(exports, options, cleanup);
    return exports;
  };
  loader._load = hooked;
  cleanup.defer(() => {
    if (loader._load === hooked) loader._load = load;
  });
  for (const [path, cached] of Object.entries(loader._cache)) if (cached && isMysql2(path, cached.exports)) patch(cached.exports, options, cleanup);
  return () => cleanup.run();
}
