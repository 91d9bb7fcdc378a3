import { createRequire } from 'node:module';

/** The part of shm-typed-array that bulwark uses. */
export interface ShmModule {
  create(count: number, type: 'Int32Array', key: number | string, perm: string): Int32Array | null;
  get(key: number | string, type: 'Int32Array'): Int32Array | null;
  destroy(key: number | string): boolean;
}

let loaded: ShmModule | undefined;

/**
 * Loads shm-typed-array once. Its index.js adds a process 'exit' listener that calls detachAll()
 * and prints "shm segments destroyed: N" on stdout; we remove that listener so that a service's
 * stdout stays its own. Its native cleanup hook still detaches at exit, and for a SysV segment the
 * last process to detach removes it (IPC_RMID when nattch is 0, whoever created it); a POSIX
 * object is never unlinked at exit. Both are harmless: a segment nobody uses has nothing to keep,
 * and a process that attached to a removed segment notices it like any other vanished IPC.
 */
export function shm(): ShmModule {
  if (loaded) return loaded;
  const before = new Set(process.listeners('exit'));
  const require = createRequire(import.meta.url);
  loaded = require('shm-typed-array') as ShmModule;
  for (const listener of process.listeners('exit')) if (!before.has(listener)) process.removeListener('exit', listener);
  return loaded;
}
