import { InvalidOptionError, channelFor, describe, processGlobal, warn, warnError } from '@bulwark/core';
import diagnostics_channel from 'node:diagnostics_channel';
import fs, { WriteStream } from 'node:fs';
import { promisify } from 'node:util';
import { type Found, type SonicBoomLike, foundWriters } from './discover.js';
import { pathState, writesWithoutAppend } from './fd.js';

/** Anything that can reopen its file itself: sonic-boom, pino.destination(), pino-roll, ... */
export interface Reopenable {
  reopen(...args: never[]): unknown;
}

/** A pino transport (`pino.transport()`, a thread-stream): its file is written by a worker thread. */
export interface PinoTransport {
  readonly worker: { readonly threadId: number };
  write(chunk: string): unknown;
}

/** winston's `transports.File`: writes through an `fs.WriteStream` it keeps as `_dest`. */
export interface WinstonFileTransport {
  readonly filename: string;
  readonly dirname: string;
}

/** A log destination the guard reopens after each burst of HUPs. */
export type Destination = Reopenable | WriteStream | PinoTransport | WinstonFileTransport;

const open = promisify(fs.open);
const close = promisify(fs.close);

const expected =
  'a fs.WriteStream opened by path, a sonic-boom / pino.destination(), a pino transport, a winston File transport, or anything with a reopen() method';

/** Why `value` cannot be reopened, or undefined when it can. */
function unreopenable(value: unknown): string | undefined {
  if (isReopenable(value) || isPinoTransport(value) || isWinstonFile(value)) return undefined;
  if (value instanceof WriteStream)
    return typeof value.path === 'string' ? undefined : 'a WriteStream opened by path (one opened from an fd cannot be reopened)';
  return expected;
}

/** Throws naming `option` unless `value` is something the guard knows how to reopen (at construction). */
export function checkDestination(option: string, value: unknown): Destination {
  const problem = unreopenable(value);
  if (problem !== undefined) throw new InvalidOptionError(option, value, problem);
  return value as Destination;
}

/** At runtime a destination the guard cannot reopen is a warning, never a throw: returns it when it can. */
function acceptDestination(where: string, value: unknown): Destination | undefined {
  const problem = unreopenable(value);
  if (problem === undefined) return value as Destination;
  warn(
    'hup',
    'BULWARK_HUP_CANNOT_REOPEN',
    `${where}: cannot reopen ${describe(value)}; pass ${problem}, or reopen it yourself in the reload (onHup(reload) or the bulwark:hup:reload channel)`,
  );
  return undefined;
}

export function isReopenable(value: unknown): value is Reopenable {
  return typeof value === 'object' && value !== null && typeof (value as Reopenable).reopen === 'function';
}

export function isPinoTransport(value: unknown): value is PinoTransport {
  const v = value as Partial<PinoTransport> | null;
  return typeof v === 'object' && v !== null && typeof v.worker?.threadId === 'number' && typeof v.write === 'function';
}

function isWinstonFile(value: unknown): value is WinstonFileTransport {
  const v = value as (Partial<WinstonFileTransport> & { log?: unknown }) | null;
  return (
    typeof v === 'object' && v !== null && typeof v.filename === 'string' && typeof v.dirname === 'string' && typeof v.log === 'function'
  );
}

function isSonicBoom(value: unknown): value is SonicBoomLike {
  const v = value as Partial<SonicBoomLike> | null;
  return isReopenable(value) && typeof v!.fd === 'number' && 'file' in v! && typeof v!.once === 'function';
}

/** How long a reopen waits for a sonic-boom to be ready on its new file. */
const readyWaitMs = 5000;

/**
 * Makes `destination` write to a fresh file at its path (the old one was moved by logrotate).
 * A pino transport is reopened by its own thread (see threads.ts): nothing to do here.
 */
export async function reopen(destination: Destination): Promise<void> {
  if (isPinoTransport(destination)) return;
  if (isSonicBoom(destination)) return reopenSonicBoom(destination);
  if (isReopenable(destination)) return void (await destination.reopen());
  if (destination instanceof WriteStream) return reopenWriteStream(destination);
  const dest = (destination as { _dest?: unknown })._dest;
  if (dest instanceof WriteStream && typeof dest.path === 'string') return reopenWriteStream(dest);
}

/** sonic-boom's reopen() opens the file again and closes the old fd once `ready`: resolves then. */
async function reopenSonicBoom(sonic: SonicBoomLike): Promise<void> {
  if (sonic.destroyed || sonic._ending || typeof sonic.file !== 'string') return;
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      sonic.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, readyWaitMs);
    timer.unref();
    sonic.once('ready', done);
    sonic.reopen();
  });
}

/**
 * fs.WriteStream has no reopen(): open the path again and swap the stream's fd. Writable runs one
 * write at a time and every write reads `stream.fd` when it starts, so writes before the swap land
 * in the old file and writes after it in the new one, none lost and none twice. The old fd is
 * closed once the write in flight at the swap (if any) has finished.
 */
async function reopenWriteStream(stream: WriteStream): Promise<void> {
  if (stream.destroyed || stream.writableFinished) return;
  const fresh = await open(stream.path as string, 'a', (stream as unknown as { mode?: number }).mode ?? 0o666);
  const writable = stream as unknown as { fd: number | null };
  const old = writable.fd;
  if (old === null || stream.destroyed) return void (await close(fresh));
  writable.fd = fresh;
  await afterWriteInFlight(stream);
  await close(old);
}

type WriteMethod = '_write' | '_writev';

/** Resolves once no write that started before now is still running. */
function afterWriteInFlight(stream: WriteStream): Promise<void> {
  if (!writing(stream)) return Promise.resolve();
  return new Promise((resolve) => {
    const methods: WriteMethod[] = ['_write', '_writev'];
    const target = stream as unknown as Record<WriteMethod, ((...args: unknown[]) => void) | undefined>;
    const own = methods.map((m) => Object.prototype.hasOwnProperty.call(target, m));
    const original = methods.map((m) => target[m]);
    // Ref'd: a caller's guard.reload() waits on it, and it lives only while one write runs.
    const poll = setInterval(() => !writing(stream) && done(), 1);
    const done = () => {
      clearInterval(poll);
      methods.forEach((m, i) => {
        if (own[i]) target[m] = original[i];
        else delete target[m];
      });
      stream.off('close', done);
      resolve();
    };
    // Writable starts the next write only after the one in flight has completed.
    methods.forEach((m, i) => {
      if (typeof original[i] !== 'function') return;
      target[m] = function (this: unknown, ...args: unknown[]) {
        done();
        return original[i]!.apply(this, args);
      };
    });
    stream.once('close', done);
  });
}

/** Whether a write is running on the stream's fd now (Writable's own flag, stable since Node 0.10). */
function writing(stream: WriteStream): boolean {
  const state = (stream as unknown as { _writableState?: { writing?: boolean } })._writableState;
  return state?.writing ?? stream.writableLength > 0;
}

/** The fd and path a writer writes to now, when it has both. */
export function fileOf(writer: unknown): { fd: number; path: string } | undefined {
  if (isSonicBoom(writer)) return typeof writer.file === 'string' && writer.fd >= 0 ? { fd: writer.fd, path: writer.file } : undefined;
  if (writer instanceof WriteStream) {
    const fd = (writer as unknown as { fd: number | null }).fd;
    return typeof writer.path === 'string' && typeof fd === 'number' ? { fd, path: writer.path } : undefined;
  }
  if (isWinstonFile(writer)) return fileOf((writer as { _dest?: unknown })._dest);
  return undefined;
}

/** Reopens the found writers whose path now names another file (logrotate moved theirs); resolves with how many. */
export async function reopenMoved(writers: readonly Found[] = foundWriters()): Promise<number> {
  const moved = writers.filter((w) => {
    const file = fileOf(w);
    return file !== undefined && pathState(file.fd, file.path) === 'moved';
  });
  await Promise.all(moved.map((w) => reopen(w)));
  return moved.length;
}

/**
 * copytruncate truncates the file under a writer; one not in append mode then writes at its old
 * offset and leaves a hole of NUL bytes. Moves a registered writer to append mode where it can
 * (a sonic-boom reopened with `append`, a WriteStream's fd swapped for one opened with 'a'), and
 * warns where it cannot. A writer whose file is not open yet is checked at the next reload.
 */
export async function ensureAppend(destination: Destination): Promise<void> {
  const file = fileOf(destination);
  if (file === undefined || !writesWithoutAppend(file.fd)) return;
  if (isSonicBoom(destination)) {
    (destination as { append: boolean }).append = true;
    return reopenSonicBoom(destination);
  }
  const stream = destination instanceof WriteStream ? destination : (destination as { _dest?: unknown })._dest;
  if (stream instanceof WriteStream && (stream as unknown as { start?: number }).start === undefined) return reopenWriteStream(stream);
  warn(
    'hup',
    'BULWARK_HUP_NOT_APPEND',
    `${describe(destination)} writes ${file.path} (fd ${file.fd}) without O_APPEND; logrotate's copytruncate will leave a hole of NUL bytes at the start of the truncated file. Open it with flags 'a', or rotate with create + HUP`,
  );
}

type Registry = Set<Destination>;

/** The process-wide set of destinations every HUP guard reopens (shared by ESM and CJS copies). */
export function registry(): Registry {
  return processGlobal<Registry>('hup.reopen', () => new Set());
}

/** Adds `value` to the registry when the guard can reopen it, else warns; returns the undo. */
function register(where: string, value: unknown): () => void {
  const destination = acceptDestination(where, value);
  if (destination === undefined) return () => {};
  registry().add(destination);
  ensureAppend(destination).catch((error: unknown) =>
    warnError('hup', 'BULWARK_HUP_NOT_APPEND', `${where}: could not move ${describe(destination)} to append mode`, error),
  );
  return () => void registry().delete(destination);
}

/**
 * Registers a destination that every HUP guard in this process reopens after each burst, also
 * one started with `BULWARK_HUP=1 node --import bulwark/register`. Returns a function that
 * unregisters it. Typed `object` because pino's and winston's own types do not show what the guard
 * reads (a transport's worker, a File transport's stream). What the guard cannot reopen is a
 * `BulwarkWarning` (BULWARK_HUP_CANNOT_REOPEN),
 * never a throw. Without a dependency on bulwark, an app may instead publish the destination on
 * the diagnostics channel `bulwark:hup:register`.
 */
export function registerReopen(destination: Destination | object): () => void {
  return register('registerReopen(destination)', destination);
}

/** Adds what apps publish on `bulwark:hup:register` to the registry while a guard runs; returns the unsubscribe. */
export function subscribeRegistrations(): () => void {
  const { name } = channelFor('hup', 'register');
  const onRegister = (message: unknown) => void register(`${String(name)} message`, message);
  diagnostics_channel.subscribe(name, onRegister);
  return () => void diagnostics_channel.unsubscribe(name, onRegister);
}
