import { closeSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import diagnostics_channel from 'node:diagnostics_channel';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import winston from 'winston';
import { afterEach, describe, expect, it } from 'vitest';
import { onHup, registerReopen } from '../dist/index.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hup-adopt-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Warning {
  code: string;
  message: string;
}

/** Collects what the guard reports on bulwark:hup:warning (the same as its BulwarkWarnings). */
function warnings(): Warning[] {
  const seen: Warning[] = [];
  const onWarning = (w: unknown) => seen.push(w as Warning);
  diagnostics_channel.subscribe('bulwark:hup:warning', onWarning);
  cleanups.push(() => void diagnostics_channel.unsubscribe('bulwark:hup:warning', onWarning));
  return seen;
}

describe('the guard contract with adopt', () => {
  it('close() is awaitable and idempotent, and leaves no listener, no patched emit and no handle behind', async () => {
    await sleep(150); // vitest's own reporting timer fires first
    const emit = process.emit;
    const counts = ['SIGHUP', 'newListener'].map((e) => process.listenerCount(e));
    const resources = process.getActiveResourcesInfo().sort();
    const guard = onHup(() => {}, { adopt: true, leakBudget: true });
    const app = () => {};
    process.on('SIGHUP', app);
    expect(process.emit).not.toBe(emit);
    await guard.reload();
    const closing = guard.close();
    expect(guard.close()).toBe(closing);
    await closing;
    expect(guard.closed).toBe(true);
    process.off('SIGHUP', app);
    expect(process.emit).toBe(emit);
    expect(['SIGHUP', 'newListener'].map((e) => process.listenerCount(e))).toEqual(counts);
    await sleep(20);
    expect(process.getActiveResourcesInfo().sort()).toEqual(resources);
  });

  it("the app's own SIGHUP listeners run once per reload inside the guard, with ('SIGHUP', 1) and this = process, awaited", async () => {
    const seen: unknown[][] = [];
    let finished = false;
    async function onSighup(this: unknown, ...args: unknown[]) {
      seen.push([this === process, ...args]);
      await sleep(30);
      finished = true;
    }
    process.on('SIGHUP', onSighup);
    cleanups.push(() => void process.off('SIGHUP', onSighup));
    await using guard = onHup(undefined, { adopt: true });
    const outcome = await guard.reload();
    expect(outcome.ok).toBe(true);
    expect(finished).toBe(true);
    expect(seen).toEqual([[true, 'SIGHUP', 1]]);
  });

  it("an app listener that throws fails that reload (reason 'threw') and nothing else: the next reload runs it again", async () => {
    let calls = 0;
    const onSighup = () => {
      calls++;
      throw new Error('bad config');
    };
    process.on('SIGHUP', onSighup);
    cleanups.push(() => void process.off('SIGHUP', onSighup));
    await using guard = onHup(undefined, { adopt: true });
    expect(await guard.reload()).toMatchObject({ ok: false, reason: 'threw', message: 'bad config' });
    expect(await guard.reload()).toMatchObject({ ok: false, reason: 'threw' });
    expect(calls).toBe(2);
  });

  it('a once listener re-armed after its reload ended gets the HUP it missed while removed, delivered once it is back', async () => {
    let runs = 0;
    await using guard = onHup(undefined, { adopt: true, coalesceMs: 10 });
    let reloaded = 0;
    guard.on('reload', () => reloaded++);
    const arm = () => process.once('SIGHUP', () => void runs++);
    arm();
    process.emit('SIGHUP', 'SIGHUP');
    await until(() => reloaded === 1);
    expect(runs).toBe(1);
    // Disarmed now; a HUP arrives and finds no app listener...
    process.emit('SIGHUP', 'SIGHUP');
    await until(() => reloaded === 2);
    expect(runs).toBe(1);
    // ...and is delivered when the listener is back.
    arm();
    await until(() => reloaded === 3);
    expect(runs).toBe(2);
  });
});

async function until(probe: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(5);
  }
}

it('a once listener that re-arms within its own call is never owed a HUP: one run per reload, no rearm reload', async () => {
  await using guard = onHup(undefined, { adopt: true, coalesceMs: 10 });
  const triggers: string[] = [];
  guard.on('reload', (info) => triggers.push(info.trigger));
  let runs = 0;
  let current = () => {};
  const arm = () => void process.once('SIGHUP', (current = () => (runs++, arm())));
  arm();
  cleanups.push(() => void process.removeListener('SIGHUP', current));
  for (let i = 1; i <= 3; i++) {
    process.emit('SIGHUP', 'SIGHUP');
    await until(() => triggers.length === i);
  }
  await sleep(100);
  expect(runs).toBe(3);
  expect(triggers).toEqual(['signal', 'signal', 'signal']);
});

describe('registerReopen and bulwark:hup:register at runtime', () => {
  it('what cannot be reopened is a BulwarkWarning naming its type and what to do, never a throw, and never a dump of the object', () => {
    const seen = warnings();
    const huge = { payload: 'x'.repeat(1_000_000), nested: { deep: Array.from({ length: 10_000 }, (_, i) => i) } };
    expect(() => registerReopen(huge as never)()).not.toThrow();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.code).toBe('BULWARK_HUP_CANNOT_REOPEN');
    expect(seen[0]!.message).toMatch(/cannot reopen .*; pass a fs.WriteStream opened by path, .*or reopen it yourself in the reload/);
    expect(seen[0]!.message.length).toBeLessThan(600);
  });

  it('publishing a pino transport on bulwark:hup:register while a guard runs does not throw; a reload warns that its thread has no bulwark, naming the thread and the fix', async () => {
    const seen = warnings();
    const dir = tempDir();
    const transport = pino.transport({ target: 'pino/file', options: { destination: join(dir, 'app.log') } });
    cleanups.push(async () => {
      transport.end();
      await once(transport, 'close');
    });
    await once(transport, 'ready');
    await using guard = onHup(undefined, { timeoutMs: 300 });
    expect(() => diagnostics_channel.channel('bulwark:hup:register').publish(transport)).not.toThrow();
    expect(seen).toEqual([]);
    const outcome = await guard.reload();
    expect(outcome.ok).toBe(true);
    const unreached = seen.find((w) => w.code === 'BULWARK_HUP_TRANSPORT_UNREACHED');
    expect(unreached?.message).toMatch(
      new RegExp(`worker thread ${(transport as unknown as { worker: { threadId: number } }).worker.threadId} .*--import bulwark/register`),
    );
  });

  it('a winston File transport is accepted and reopened: lines after the rename land in the new file', async () => {
    const dir = tempDir();
    const path = join(dir, 'app.log');
    const file = new winston.transports.File({ filename: path });
    const logger = winston.createLogger({ transports: [file] });
    cleanups.push(() => void logger.close());
    const seen = warnings();
    const unregister = registerReopen(file);
    cleanups.push(unregister);
    await using guard = onHup();
    logger.info('before');
    await until(() => readable(path).includes('before'));
    renameSync(path, `${path}.1`);
    const outcome = await guard.reload();
    expect(outcome).toMatchObject({ ok: true, reopened: 1 });
    logger.info('after');
    await until(() => readable(path).includes('after'));
    expect(readable(`${path}.1`)).not.toContain('after');
    expect(seen).toEqual([]);
  });
});

function readable(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

describe('files left behind', () => {
  it('a file still written after a HUP-driven reload whose path names another file is reported: a warning naming fd and path, and a stale-log event', async () => {
    const dir = tempDir();
    const path = join(dir, 'raw.log');
    const fd = openSync(path, 'a');
    cleanups.push(() => closeSync(fd));
    const seen = warnings();
    await using guard = onHup(undefined, { coalesceMs: 10 });
    const stale: unknown[] = [];
    guard.on('stale-log', (s) => stale.push(s));
    renameSync(path, `${path}.1`);
    writeFileSync(path, '');
    let reloaded = false;
    guard.on('reload', () => (reloaded = true));
    process.emit('SIGHUP', 'SIGHUP');
    await until(() => reloaded);
    expect(stale).toEqual([{ fd, path, now: `${path}.1` }]);
    const warning = seen.find((w) => w.code === 'BULWARK_HUP_STALE_LOG');
    expect(warning?.message).toContain(`fd ${fd} still writes to ${path}.1, which ${path} no longer names`);
  });
});
