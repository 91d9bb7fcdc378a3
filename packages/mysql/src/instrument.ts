import Module from 'node:module';
import { BulwarkError, Cleanup, type Guard, closeWith } from '@bulwark/core';
import { flag, hookClass, mysql2Class } from './hook.js';
import { type WrapOptions, checkWrapOptions, resolvePolicy } from './options.js';

/** `instrumentMysql2` was called while another instrumentation is active in this process. */
export class MysqlAlreadyInstrumentedError extends BulwarkError {
  static readonly code = 'ERR_MYSQL_ALREADY_INSTRUMENTED';

  constructor() {
    super('mysql2 is already instrumented by bulwark in this process; close the other guard first');
  }
}

type Load = (request: string, parent: unknown, isMain: boolean) => unknown;
const loader = Module as unknown as { _load: Load; _cache: Record<string, { exports: unknown } | undefined> };

/**
 * Makes every pool and connection of every mysql2 copy in the process retry reads, with no code
 * change: hooks mysql2's connection, pool connection and pool classes (the ones loaded already,
 * and through the CommonJS loader, which ESM imports of mysql2 go through too, the ones loaded
 * later). mysql2's factories, objects and return values stay its own. A pool or connection given
 * options of its own (`createPool`, `wrapPool`) keeps them. `close()` undoes it.
 */
export function instrumentMysql2(options: WrapOptions = {}): Guard {
  checkWrapOptions(options); // bad options throw now, naming them
  if (flag.options) throw new MysqlAlreadyInstrumentedError();
  flag.options = options;
  flag.policy = resolvePolicy(options);
  const cleanup = new Cleanup();
  cleanup.defer(() => {
    flag.options = undefined;
    flag.policy = undefined;
  });
  const seen = new WeakSet<object>();
  const consider = (exports: unknown) => {
    const kind = mysql2Class(exports);
    if (!kind || seen.has(exports as object)) return;
    seen.add(exports as object);
    cleanup.defer(hookClass(exports as { prototype: object }, kind));
  };
  const load = loader._load;
  const hooked = function (this: unknown, request: string, parent: unknown, isMain: boolean) {
    const exports = load.call(this, request, parent, isMain);
    // Someone may have wrapped _load after us, so the hook can stay in the chain after close.
    if (!cleanup.done) consider(exports);
    return exports;
  };
  loader._load = hooked;
  cleanup.defer(() => {
    if (loader._load === hooked) loader._load = load;
  });
  for (const cached of Object.values(loader._cache)) if (cached) consider(cached.exports);
  return closeWith(() => cleanup.run());
}
