import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { spawnNode } from '@bulwark/test-rig';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/read-stdin.mjs', import.meta.url));

interface Outcome {
  ok: boolean;
  code?: string;
  message?: string;
  bytes?: number;
  sha1?: string;
  bulwark?: { attempts: number; retried: boolean; reason: string };
}

/** Starts the reader, then feeds it `data` in slices with pauses, as a slow producer would. */
async function feed(mode: 'plain' | 'guarded', data: Buffer, slices = 4, extraArgs: string[] = []): Promise<Outcome> {
  const child = spawnNode(fixture, { args: [mode, ...extraArgs] });
  await child.line(/^reading/);
  const step = Math.ceil(data.length / slices);
  for (let offset = 0; offset < data.length; offset += step) {
    await new Promise((resolve) => setTimeout(resolve, 150));
    if (!child.running) break;
    child.process.stdin!.write(data.subarray(offset, offset + step));
  }
  if (child.running) child.process.stdin!.end();
  await child.exited;
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Outcome;
}

const sha1 = (data: Buffer) => createHash('sha1').update(data).digest('hex');

describe('readSyncRetry on a non-blocking stdin pipe', () => {
  it('rejects a bad encoding or descriptor before reading anything', async () => {
    const { readSyncRetry } = await import('../dist/index.js');
    expect(() => readSyncRetry(0, { encoding: 'utf-9' as BufferEncoding })).toThrow(`encoding must be a Buffer encoding, got 'utf-9'`);
    expect(() => readSyncRetry(-1)).toThrow(
      expect.objectContaining({ code: 'ERR_BULWARK_INVALID_OPTION', message: 'fd must be a non-negative integer, got -1' }),
    );
  });

  it('fs.readSync fails with EAGAIN when the producer is slower than the reader (nodejs/node#42826)', async () => {
    const outcome = await feed('plain', Buffer.from('hello from a slow producer\n'));
    expect(outcome).toMatchObject({ ok: false, code: 'EAGAIN' });
    expect(outcome.message).toContain('resource temporarily unavailable');
  });

  it('reads the same pipe to the end, every byte once', async () => {
    const data = randomBytes(300_000);
    const outcome = await feed('guarded', data, 6);
    expect(outcome).toEqual({ ok: true, bytes: data.length, sha1: sha1(data) });
  });

  it('gives up at the deadline with the original EAGAIN error and its facts', async () => {
    const child = spawnNode(fixture, { args: ['guarded', '300'] });
    await child.exited;
    child.process.stdin!.destroy();
    const outcome = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Outcome;
    expect(outcome).toMatchObject({ ok: false, code: 'EAGAIN', bulwark: { retried: true, reason: 'deadline-exceeded' } });
    expect(outcome.bulwark!.attempts).toBeGreaterThan(1);
  });
});
