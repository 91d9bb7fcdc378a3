import { InvalidOptionError, checkNumber } from '@bulwark/core';
import { readSync } from 'node:fs';
import { type RetryInterruptedOptions, resolveOptions } from './options.js';
import { retryInterrupted } from './retry.js';

export interface ReadSyncRetryOptions extends Omit<RetryInterruptedOptions, 'attempts'> {
  /** Decode the bytes read; without it a Buffer is returned. */
  readonly encoding?: BufferEncoding;
}

const chunkSize = 64 * 1024;

/**
 * Reads `fd` (stdin by default, a pipe, a tty) to its end, as `fs.readFileSync(fd)` would, but
 * waits out `EAGAIN` from a non-blocking descriptor (nodejs/node#42826) and retries `EINTR`.
 * `deadlineMs` bounds the whole read and defaults to no bound, like a blocking read.
 */
export function readSyncRetry(fd?: number, options?: ReadSyncRetryOptions & { encoding?: undefined }): Buffer;
export function readSyncRetry(fd: number, options: ReadSyncRetryOptions & { encoding: BufferEncoding }): string;
export function readSyncRetry(fd = 0, options: ReadSyncRetryOptions = {}): Buffer | string {
  checkNumber('fd', fd, { min: 0, integer: true });
  const { encoding, ...retry } = options;
  // Checked before reading: a bad encoding found after the read would lose what was read.
  if (encoding !== undefined && !Buffer.isEncoding(encoding)) throw new InvalidOptionError('encoding', encoding, 'a Buffer encoding');
  const { deadlineMs } = resolveOptions({ ...retry, deadlineMs: retry.deadlineMs ?? Infinity });
  const deadline = performance.now() + deadlineMs;
  const chunks: Buffer[] = [];
  const chunk = Buffer.allocUnsafe(chunkSize);
  for (;;) {
    const remaining = Math.max(0, deadline - performance.now());
    const read = retryInterrupted(() => readSync(fd, chunk, 0, chunkSize, null), { ...retry, attempts: Infinity, deadlineMs: remaining });
    if (read === 0) break;
    chunks.push(Buffer.from(chunk.subarray(0, read)));
  }
  const all = Buffer.concat(chunks);
  return encoding ? all.toString(encoding) : all;
}
