import Module from 'node:module';
import { WriteStream } from 'node:fs';
import { Cleanup, processGlobal, warn } from '@bulwark/core';
import { appendFlags } from './fd.js';

/**
 * Zero-code reach: the log writers a process opens by path, found without a line of app code.
 *
 * - sonic-boom (pino.destination, fastify's `logger: { file }`, pino's `pino/file` transport in
 *   its worker): every instance emits `ready` once its file is open, through
 *   `SonicBoom.prototype.emit`. An own `emit` on that prototype notes the instance and hands the
 *   call on; sonic-boom is found in the CommonJS module cache (already loaded) and through
 *   `Module._load` (loaded later), the way the mysql flag finds mysql2. Because the prototype is
 *   shared, an instance is found even when pino captured `SonicBoom` before the flag ran.
 * - `fs.WriteStream` (winston's File transport writes through one): `WriteStream.prototype._construct`
 *   is wrapped; a stream opened by path is noted, and one opened with `'w'` is opened with
 *   `O_TRUNC | O_APPEND` instead (same file, same truncation, but every write lands at the end:
 *   copytruncate leaves no hole of NUL bytes).
 *
 * - pino transports: see `threadStreamProxy`.
 *
 * Found writers are held weakly: the reach never keeps a stream alive.
 */

/** What the process writes to by path: a sonic-boom or an fs.WriteStream. */
export interface SonicBoomLike {
  readonly fd: number;
  readonly file: string | null;
  readonly append: boolean;
  readonly destroyed: boolean;
  readonly _ending?: boolean;
  reopen(file?: string): void;
  once(event: 'ready', listener: () => void): unknown;
  off(event: 'ready', listener: () => void): unknown;
}

export type Found = SonicBoomLike | WriteStream;

interface ReachState {
  users: number;
  cleanup: Cleanup | undefined;
  found: Set<WeakRef<Found>>;
  seen: WeakSet<Found>;
}

const state = () => processGlobal<ReachState>('hup.reach', () => ({ users: 0, cleanup: undefined, found: new Set(), seen: new WeakSet() }));

type Load = (request: string, parent: unknown, isMain: boolean) => unknown;
const loader = Module as unknown as { _load: Load; _cache: Record<string, { exports: unknown } | undefined> };
type Emit = (this: unknown, event: string | symbol, ...args: unknown[]) => boolean;
const kPatched = Symbol.for('bulwark.hup.reach');

/** Notes `writer` once, weakly. */
function note(writer: Found): void {
  const { found, seen } = state();
  if (seen.has(writer)) return;
  seen.add(writer);
  found.add(new WeakRef(writer));
}

/** The writers found so far that are still open, oldest first; dead ones are dropped. */
export function foundWriters(): Found[] {
  const { found } = state();
  const live: Found[] = [];
  for (const ref of found) {
    const writer = ref.deref();
    if (writer === undefined || writer.destroyed) found.delete(ref);
    else live.push(writer);
  }
  return live;
}

/** True when `exports` is sonic-boom's constructor. */
function isSonicBoom(exports: unknown): exports is { prototype: Record<PropertyKey, unknown> } {
  if (typeof exports !== 'function' || exports.name !== 'SonicBoom') return false;
  const proto = (exports as { prototype?: Record<string, unknown> }).prototype;
  return typeof proto?.reopen === 'function' && typeof proto.destroy === 'function' && typeof proto.end === 'function';
}

function patchSonicBoom(SonicBoom: { prototype: Record<PropertyKey, unknown> }, cleanup: Cleanup): void {
  const proto = SonicBoom.prototype;
  if (proto[kPatched]) return;
  const own = Object.prototype.hasOwnProperty.call(proto, 'emit');
  const inherited = proto.emit as Emit;
  const emit: Emit = function (this: unknown, event, ...args) {
    if (event === 'ready') onSonicReady(this as SonicBoomLike);
    return inherited.call(this, event, ...args);
  };
  proto.emit = emit;
  proto[kPatched] = true;
  cleanup.defer(() => {
    delete proto[kPatched];
    if (proto.emit !== emit) return;
    if (own) proto.emit = inherited;
    else delete proto.emit;
  });
}

function onSonicReady(sonic: SonicBoomLike): void {
  if (typeof sonic.file !== 'string' || state().seen.has(sonic)) return;
  note(sonic);
  if (!sonic.append)
    warn(
      'hup',
      'BULWARK_HUP_NOT_APPEND',
      `sonic-boom writing ${sonic.file} (fd ${sonic.fd}) was opened with append: false; logrotate's copytruncate will leave a hole of NUL bytes at the start of the truncated file. Open it with append: true (pino.destination's default), or rotate with create + HUP`,
    );
}

type Construct = (this: WriteStream, callback: (error?: Error | null) => void) => void;

function patchWriteStream(cleanup: Cleanup): void {
  const proto = WriteStream.prototype as unknown as { _construct: Construct; [kPatched]?: boolean };
  if (proto[kPatched]) return;
  const construct = proto._construct;
  const wrapped: Construct = function (this: WriteStream, callback) {
    const stream = this as WriteStream & { flags: string | number; start?: number };
    if (typeof stream.path !== 'string') return construct.call(this, callback);
    note(stream);
    const flags = stream.flags;
    const append = stream.start === undefined ? appendFlags(flags) : undefined;
    if (append === undefined) return construct.call(this, callback);
    // Read synchronously by the original as it starts the open; put back at once.
    stream.flags = append;
    try {
      return construct.call(this, callback);
    } finally {
      stream.flags = flags;
    }
  };
  proto._construct = wrapped;
  proto[kPatched] = true;
  cleanup.defer(() => {
    delete proto[kPatched];
    if (proto._construct === wrapped) proto._construct = construct;
  });
}

/**
 * Starts finding writers (once per process, however many guards ask); returns the stop. The last
 * stop takes every patch back; writers found meanwhile stay found.
 */
export function startDiscovery(): () => void {
  const s = state();
  if (s.users++ === 0) s.cleanup = install();
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    if (--s.users === 0) {
      s.cleanup?.run();
      s.cleanup = undefined;
    }
  };
}

/** True when `exports` is thread-stream's class (what `pino.transport()` builds its worker with). */
function isThreadStream(exports: unknown): exports is new (...args: unknown[]) => object {
  return typeof exports === 'function' && exports.name === 'ThreadStream';
}

/** The module a pino transport's worker thread imports first: it serves reopens there. */
const workerEntry = new URL('./worker-entry.js', import.meta.url).href;
const proxies = new WeakMap<object, object>();

/**
 * pino starts a transport's worker with `execArgv: []` when the app's entry is an ES module, so
 * `--import bulwark/register` never reaches it. The thread-stream class pino requires is handed
 * out behind a Proxy whose construct adds `--import <@bulwark/hup/worker-entry>` to the worker's
 * execArgv: the worker then finds its writers and answers the main thread's reopen.
 */
function threadStreamProxy(ThreadStream: new (...args: unknown[]) => object): object {
  let proxy = proxies.get(ThreadStream);
  if (!proxy) {
    proxy = new Proxy(ThreadStream, {
      construct(target, args, newTarget) {
        const [opts, ...rest] = args as [{ workerOpts?: { execArgv?: string[] } } | undefined, ...unknown[]];
        if (typeof opts !== 'object' || opts === null || state().users === 0) return Reflect.construct(target, args, newTarget) as object;
        const execArgv = [...(opts.workerOpts?.execArgv ?? process.execArgv), '--import', workerEntry];
        return Reflect.construct(target, [{ ...opts, workerOpts: { ...opts.workerOpts, execArgv } }, ...rest], newTarget) as object;
      },
    });
    proxies.set(ThreadStream, proxy);
  }
  return proxy;
}

function install(): Cleanup {
  const cleanup = new Cleanup();
  patchWriteStream(cleanup);
  for (const cached of Object.values(loader._cache)) if (cached && isSonicBoom(cached.exports)) patchSonicBoom(cached.exports, cleanup);
  const load = loader._load;
  const hooked: Load = function (this: unknown, request, parent, isMain) {
    const exports = load.call(this, request, parent, isMain);
    // Someone may have wrapped _load after us, so the hook can stay in the chain after close.
    if (cleanup.done) return exports;
    if (request.includes('sonic-boom') && isSonicBoom(exports)) patchSonicBoom(exports, cleanup);
    if (request.includes('thread-stream') && isThreadStream(exports)) return threadStreamProxy(exports);
    return exports;
  };
  loader._load = hooked;
  cleanup.defer(() => {
    if (loader._load === hooked) loader._load = load;
  });
  return cleanup;
}
