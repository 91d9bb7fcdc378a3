import { InvalidOptionError, channelFor, processGlobal } from '@bulwark/core';
import diagnostics_channel from 'node:diagnostics_channel';
import fs, { WriteStream } from 'node:fs';
import { promisify } from 'node:util';

/** Anything that can reopen its file itself: sonic-boom, pino.destination(), pino-roll, ... */
export interface Reopenable {
  reopen(...args: never[]): unknown;
}

/** A log destination the guard reopens after each burst of HUPs. */
export type Destination = Reopenable | WriteStream;

const open = promisify(fs.open);
const close = promisify(fs.close);

/** Throws naming `option` unless `value` is something the guard knows how to reopen. */
export function checkDestination(option: string, value: unknown): Destination {
  if (isReopenable(value)) return value;
  if (value instanceof WriteStream) {
    if (typeof value.path !== 'string') throw new InvalidOptionError(option, value, 'a WriteStream opened by path (one opened from an fd cannot be reopened)');
    return value;
  }
  throw new InvalidOptionError(option, value, 'a fs.WriteStream, a sonic-boom / pino destination, or anything with a reopen() method');
}

function isReopenable(value: unknown): value is Reopenable {
  return typeof value === 'object' && value !== null && typeof (value as Reopenable).reopen === 'function';
}

/** Makes `destination` write to a fresh file at its path (the old one was moved by logrotate). */
export async function reopen(destination: Destination): Promise<void> {
  if (isReopenable(destination)) await destination.reopen();
  else await reopenWriteStream(destination);
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

type Registry = Set<Destination>;

/** The process-wide set of destinations every HUP guard reopens (shared by ESM and CJS copies). */
export function registry(): Registry {
  return processGlobal<Registry>('hup.reopen', () => new Set());
}

/**
 * Registers a destination that every HUP guard in this process reopens after each burst, also
 * one started with `BULWARK_HUP=1 node --import bulwark/register`. Returns a function that
 * unregisters it. Without a dependency on bulwark, an app may instead publish the destination on
 * the diagnostics channel `bulwark:hup:register`.
 */
export function registerReopen(destination: Destination): () => void {
  const checked = checkDestination('registerReopen(destination)', destination);
  registry().add(checked);
  return () => void registry().delete(checked);
}

/** Adds what apps publish on `bulwark:hup:register` to the registry while a guard runs; returns the unsubscribe. */
export function subscribeRegistrations(): () => void {
  const { name } = channelFor('hup', 'register');
  const onRegister = (message: unknown) => void registry().add(checkDestination(`${String(name)} message`, message));
  diagnostics_channel.subscribe(name, onRegister);
  return () => void diagnostics_channel.unsubscribe(name, onRegister);
}
