import { type NodeChild, logrotate, spawnNode, stopAll } from '@bulwark/test-rig';
import { createWriteStream, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { onHup } from '../dist/index.js';
import { events, fixture, lines, until } from './helpers.js';

const children: NodeChild[] = [];
const cleanups: Array<() => void> = [];
afterEach(async () => {
  await stopAll(children.splice(0));
  cleanups.splice(0).forEach((c) => c());
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hup-reopen-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function writer(logs: Array<[string, string]>, env: Record<string, string> = {}): Promise<NodeChild> {
  const child = spawnNode(fixture('writer.mjs'), { ipc: true, env: { LOGS: logs.map(([p, k]) => `${p}=${k}`).join(','), ...env } });
  children.push(child);
  await child.line(/^ready/);
  return child;
}

/** Stops the writer and returns how many lines it wrote to each log. */
async function stop(child: NodeChild): Promise<Map<string, number>> {
  child.send('stop');
  const exit = await child.exited;
  expect(exit).toEqual({ code: 0, signal: null });
  return new Map(lines(child, 'done').map(([, path, count]) => [path!, Number(count)]));
}

/** The line numbers in a file, in file order. */
const numbers = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => Number(l.split(' ')[1]));

function expectEveryLineOnce(log: string, written: number, rotations = 1): void {
  const files = [...Array.from({ length: rotations }, (_, i) => `${log}.${rotations - i}`), log].map(numbers);
  for (const file of files) expect(file.length).toBeGreaterThan(0);
  const all = files.flat();
  expect(all.length).toBe(written);
  const firstWrong = all.findIndex((v, i) => v !== i);
  expect(firstWrong, `line ${firstWrong} holds ${all[firstWrong]}`).toBe(-1);
}

describe('log reopen under the real logrotate (create mode)', () => {
  for (const kind of ['stream', 'sonic']) {
    it(`a ${kind === 'stream' ? 'fs.WriteStream' : 'sonic-boom (pino destination)'} logging through the rotation loses no line and writes none twice`, async () => {
      const dir = tempDir();
      const log = join(dir, 'app.log');
      const child = await writer([[log, kind]]);
      await sleep(300);
      const rotate = logrotate({ logs: [log], postrotate: [`kill -HUP ${child.pid}`] });
      cleanups.push(() => rotate.remove());
      await rotate.rotateOrThrow();
      await until(() => events(child, 'reload').length === 1, 'the reload after rotation');
      expect(events(child, 'reload')[0]).toMatchObject({ reopened: 1 });
      await sleep(300);
      const written = await stop(child);
      expectEveryLineOnce(log, written.get(log)!);
    });
  }

  for (const kind of ['stream', 'sonic']) {
    it(`a ${kind === 'stream' ? 'fs.WriteStream' : 'sonic-boom'} writing as fast as it can through five rotations in a row keeps every line exactly once, in order`, async () => {
      const dir = tempDir();
      const log = join(dir, 'app.log');
      const child = await writer([[log, kind]], { FAST: '1', COALESCE_MS: '10', RELOAD_MS: '0' });
      const rotate = logrotate({ logs: [log], postrotate: [`kill -HUP ${child.pid}`] });
      cleanups.push(() => rotate.remove());
      for (let i = 1; i <= 5; i++) {
        await sleep(150);
        await rotate.rotateOrThrow();
        await until(() => events(child, 'reload').length === i, `reload ${i}`);
      }
      await sleep(150);
      const written = await stop(child);
      expectEveryLineOnce(log, written.get(log)!, 5);
    });
  }

  it('two logs without sharedscripts send two HUPs: one serialized reload burst, alive, both logs reopened, every line once', async () => {
    const dir = tempDir();
    const a = join(dir, 'a.log');
    const b = join(dir, 'b.log');
    const child = await writer(
      [
        [a, 'stream'],
        [b, 'sonic'],
      ],
      { RELOAD_MS: '200' },
    );
    await sleep(300);
    const rotate = logrotate({ logs: [a, b], postrotate: [`kill -HUP ${child.pid}`] });
    cleanups.push(() => rotate.remove());
    await rotate.rotateOrThrow();
    await until(() => events(child, 'reload').length >= 1, 'a reload');
    await sleep(800);
    expect(child.running).toBe(true);
    expect(Math.max(...lines(child, 'reload-start').map((l) => Number(l[1])))).toBe(1);
    expect(events(child, 'reload').every((r) => r.reopened === 2)).toBe(true);
    const written = await stop(child);
    expectEveryLineOnce(a, written.get(a)!);
    expectEveryLineOnce(b, written.get(b)!);
  });
});

describe('reopen targets', () => {
  it('an fs.WriteStream reopened 100 times while writes are in flight keeps every line exactly once, in order', async () => {
    const dir = tempDir();
    const path = join(dir, 'a.log');
    const stream = createWriteStream(path, { flags: 'a' });
    await once(stream, 'open'); // the file exists before the first rename, however busy the machine
    using guard = onHup(undefined, { reopen: [stream] });
    let n = 0;
    let writing = true;
    const writer = (async () => {
      while (writing) {
        for (let i = 0; i < 50; i++) if (!stream.write(`x ${n++}\n`)) await once(stream, 'drain');
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    for (let k = 1; k <= 100; k++) {
      await sleep(2);
      renameSync(path, `${path}.${k}`); // what logrotate's create mode does first
      await guard.reload();
    }
    writing = false;
    await writer;
    stream.end();
    await once(stream, 'finish');
    const all = [...Array.from({ length: 100 }, (_, k) => numbers(`${path}.${k + 1}`)).flat(), ...numbers(path)];
    expect(all.length).toBe(n);
    expect(all.every((v, i) => v === i)).toBe(true);
  });

  it('calls reopen() on anything that has it, before the reload runs', async () => {
    const order: string[] = [];
    using guard = onHup(() => void order.push('reload'), { reopen: [{ reopen: () => void order.push('reopen') }] });
    await guard.reload();
    expect(order).toEqual(['reopen', 'reload']);
  });

  it('a destination that fails to reopen is reported as reload-error (reopen) and the reload still runs', async () => {
    const reasons: string[] = [];
    let reloaded = false;
    using guard = onHup(() => void (reloaded = true), {
      reopen: [
        {
          reopen: () => {
            throw new Error('disk gone');
          },
        },
      ],
    });
    guard.on('reload-error', (e) => reasons.push(e.reason));
    await guard.reload();
    expect(reloaded).toBe(true);
    expect(reasons).toEqual(['reopen']);
  });
});
