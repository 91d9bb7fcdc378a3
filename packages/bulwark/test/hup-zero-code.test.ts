import { type LogrotateOptions, type NodeChild, logrotate, spawnNode, stopAll } from '@bulwark/test-rig';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

// Stock loggers with no bulwark code, started with only BULWARK_HUP=1 --import bulwark/register,
// logging numbered lines continuously through the real logrotate.
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const script = join(packageDir, 'test/fixtures/stock-logger.mjs');
const register = pathToFileURL(join(packageDir, 'dist/register.js')).href;
const children: NodeChild[] = [];
const cleanups: Array<() => void> = [];
afterEach(async () => {
  await stopAll(children.splice(0));
  cleanups.splice(0).forEach((c) => c());
});

const numbers = (path: string): number[] =>
  existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => Number(/\bn (\d+)\b/.exec(l)?.[1] ?? NaN))
    : [];

async function until(probe: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

interface Run {
  readonly child: NodeChild;
  readonly log: string;
  readonly log2: string;
  readonly written: number;
  readonly written2: number;
}

/** Starts KIND with the flag (or without), rotates its logs once with `rotation`, lets it log on, stops it. */
async function rotated(
  kind: string,
  rotation: (pid: number, logs: string[]) => Omit<LogrotateOptions, 'logs'>,
  { flag = true, logs = 1 } = {},
): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-zero-code-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'app.log');
  const log2 = join(dir, 'other.log');
  const child = spawnNode(script, {
    cwd: packageDir,
    ipc: true,
    execArgv: flag ? ['--import', register] : [],
    env: { KIND: kind, LOG: log, LOG2: log2, BULWARK_HUP: flag ? '1' : '0' },
  });
  children.push(child);
  await child.line(/^ready/);
  await until(() => numbers(log).length > 50, 'lines before the rotation');
  const paths = logs === 2 ? [log, log2] : [log];
  const rotate = logrotate({ logs: paths, ...rotation(child.pid!, paths) });
  cleanups.push(() => rotate.remove());
  await rotate.rotateOrThrow();
  // The new file is the one being written.
  for (const path of paths) await until(() => numbers(path).length > 50, `lines in the new ${path}`);
  child.send('stop');
  const done = await child.line(/^done (\d+)/);
  const done2 = logs === 2 ? Number((await child.line(/^done2 (\d+)/))[1]) : 0;
  await child.exited;
  return { child, log, log2, written: Number(done[1]), written2: done2 };
}

const hupAfter = (pid: number) => ({ postrotate: [`kill -HUP ${pid}`] });

/** Every line exactly once, in order, across the rotated and the new file; both hold lines. Returns the counts. */
function expectEveryLineOnce(log: string, written: number): { rotated: number; current: number } {
  const old = numbers(`${log}.1`);
  const current = numbers(log);
  expect(old.length, `${log}.1 holds lines`).toBeGreaterThan(0);
  expect(current.length, `${log} holds lines`).toBeGreaterThan(0);
  const all = [...old, ...current];
  const firstWrong = all.findIndex((v, i) => v !== i);
  expect(firstWrong, `line ${firstWrong} holds ${all[firstWrong]}`).toBe(-1);
  expect(all.length).toBe(written);
  return { rotated: old.length, current: current.length };
}

const counts: string[] = [];
function record(setup: string, c: { rotated: number; current: number }, extra = ''): void {
  counts.push(`${setup}: ${c.rotated} lines in app.log.1 + ${c.current} in app.log = ${c.rotated + c.current} written${extra}`);
  console.log(`[counts] ${counts.at(-1)}`);
}

const noStaleWarning = (child: NodeChild) => expect(child.stderr).not.toMatch(/BULWARK_HUP_STALE_LOG/);

describe('with only BULWARK_HUP=1, every line of a stock logger lands in the right file through logrotate (create + HUP)', () => {
  for (const kind of ['pino-dest', 'pino-transport', 'fastify', 'winston', 'stream-a']) {
    it(`${kind}: no line lost, none doubled, the new file is the one written`, async () => {
      const run = await rotated(kind, hupAfter);
      record(kind, expectEveryLineOnce(run.log, run.written));
      noStaleWarning(run.child);
    });
  }

  it('two logs without sharedscripts (two HUPs): both logs reopened, every line once in each', async () => {
    const run = await rotated('two-logs', hupAfter, { logs: 2 });
    const a = expectEveryLineOnce(run.log, run.written);
    const b = expectEveryLineOnce(run.log2, run.written2);
    record(
      'two-logs (pino.destination + fs.WriteStream)',
      { rotated: a.rotated + b.rotated, current: a.current + b.current },
      ' across both logs',
    );
    noStaleWarning(run.child);
  });

  it("an app with its own process.on('SIGHUP') (pino's recipe): its handler runs once per burst, never overlapping, every line once", async () => {
    const run = await rotated('own-handler', (pid) => ({ postrotate: [`kill -HUP ${pid}`, `kill -HUP ${pid}`] }));
    record('own handler', expectEveryLineOnce(run.log, run.written));
    const starts = run.child.stdout.split('\n').filter((l) => l.startsWith('handler-start '));
    const reloads = run.child.stdout.split('\n').filter((l) => l.startsWith('event reload '));
    expect(starts.length).toBeGreaterThan(0);
    expect(starts.length).toBe(reloads.length);
    expect(Math.max(...starts.map((l) => Number(l.split(' ')[2])))).toBe(1);
  });

  it('an app whose handler removes itself during its 800 ms reload, with a slow prerotate: the HUP it missed is delivered once re-armed, never overlapping, both logs reopened', async () => {
    const run = await rotated(
      'self-removing',
      (pid) => ({ postrotate: [`kill -HUP ${pid}`], directives: ['prerotate', '  sleep 0.5', 'endscript'] }),
      { logs: 2 },
    );
    const a = expectEveryLineOnce(run.log, run.written);
    const b = expectEveryLineOnce(run.log2, run.written2);
    record(
      'self-removing handler + slow prerotate',
      { rotated: a.rotated + b.rotated, current: a.current + b.current },
      ' across both logs',
    );
    const starts = run.child.stdout.split('\n').filter((l) => l.startsWith('handler-start '));
    // Two HUPs ~0.5 s apart, the second while the handler was disarmed: it still ran for each.
    expect(starts.length).toBe(2);
    expect(Math.max(...starts.map((l) => Number(l.split(' ')[2])))).toBe(1);
    noStaleWarning(run.child);
  });
});

describe('copytruncate', () => {
  const copytruncate = () => ({ create: false, directives: ['copytruncate'] });

  /** Lines in order, none twice, no NUL byte; the lines written between copy and truncate are the only ones missing. */
  function expectNoHoleAndOneGap(log: string, written: number): { rotated: number; current: number; lost: number } {
    const text = readFileSync(log, 'utf8');
    expect(text.includes('\0'), 'the truncated file has no NUL bytes').toBe(false);
    const old = numbers(`${log}.1`);
    const current = numbers(log);
    expect(old.every((v, i) => v === i)).toBe(true);
    expect(current.every((v, i) => i === 0 || v === current[i - 1]! + 1)).toBe(true);
    expect(current[0]).toBeGreaterThanOrEqual(old.length);
    expect(current.at(-1)).toBe(written - 1);
    return { rotated: old.length, current: current.length, lost: current[0]! - old.length };
  }

  for (const kind of ['stream-a', 'stream-w']) {
    it(`${kind === 'stream-a' ? 'an append writer' : "a 'w' writer"} with the flag: no NUL hole, lines in order, only the copy-to-truncate window lost`, async () => {
      const run = await rotated(kind, copytruncate);
      const c = expectNoHoleAndOneGap(run.log, run.written);
      record(`copytruncate, ${kind}`, c, `; ${c.lost} lost between copy and truncate (copytruncate's own window)`);
    });
  }

  it("a 'w' writer without the flag leaves a hole of NUL bytes (what the flag prevents)", async () => {
    const run = await rotated('stream-w', copytruncate, { flag: false });
    expect(readFileSync(run.log, 'utf8').startsWith('\0')).toBe(true);
  });
});
