import { type NodeChild, spawnNode, stopAll } from '@bulwark/test-rig';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { GuardClosedError as CoreGuardClosedError, InvalidOptionError } from '@bulwark/core';
import { GuardClosedError, ReloadTimeoutError, onHup } from '../dist/index.js';
import { events, fixture, lines, settle, until } from './helpers.js';

const children: NodeChild[] = [];
afterEach(async () => void (await stopAll(children.splice(0))));

async function service(env: Record<string, string>, hupOptions: object = {}): Promise<NodeChild> {
  const child = spawnNode(fixture('service.mjs'), { env: { ...env, HUP_OPTIONS: JSON.stringify(hupOptions) } });
  children.push(child);
  await child.line(/^ready/);
  return child;
}

const reloads = (child: NodeChild) => events(child, 'reload');
const maxConcurrent = (child: NodeChild) => Math.max(0, ...lines(child, 'reload-start').map((l) => Number(l[2])));

// First: a child's pipes close a moment after it exits, which would blur the resource count.
describe('onHup in this process', () => {
  it('installs its SIGHUP listener at once, and close() removes it and leaves no timer behind', async () => {
    await sleep(150); // vitest's own 100 ms reporting timer, armed as the test began, fires first
    const listeners = process.listenerCount('SIGHUP');
    const resources = process.getActiveResourcesInfo().sort();
    const guard = onHup(() => {}, { leakBudget: true });
    expect(process.listenerCount('SIGHUP')).toBe(listeners + 1);
    process.emit('SIGHUP', 'SIGHUP');
    await guard.reload();
    guard.close();
    guard.close();
    expect(process.listenerCount('SIGHUP')).toBe(listeners);
    await sleep(20);
    expect(process.getActiveResourcesInfo().sort()).toEqual(resources);
  });

  it('guard.reload() runs one reload now, serialized with the HUP-driven ones, and never rejects', async () => {
    let concurrent = 0;
    let most = 0;
    using guard = onHup(async () => {
      most = Math.max(most, ++concurrent);
      await sleep(30);
      concurrent--;
      throw new Error('nope');
    });
    const outcomes = await Promise.all([guard.reload(), guard.reload(), guard.reload()]);
    expect(most).toBe(1);
    expect(outcomes.every((o) => !o.ok && o.reason === 'threw')).toBe(true);
    expect(outcomes.map((o) => o.trigger)).toEqual(['call', 'call', 'call']);
  });

  it('reload() after close() rejects with GuardClosedError("hup") (ERR_BULWARK_CLOSED), also under the deprecated hup export', async () => {
    const guard = onHup(() => {});
    guard.close();
    const error = await guard.reload().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GuardClosedError);
    expect(error).toMatchObject({ code: 'ERR_BULWARK_CLOSED', guard: 'hup', message: 'the HUP guard is closed' });
    expect(error).toBeInstanceOf(CoreGuardClosedError);
  });

  it('a reload past timeoutMs sees its signal abort with ReloadTimeoutError', async () => {
    let reason: unknown;
    using guard = onHup(
      ({ signal }) => new Promise<void>((resolve) => signal.addEventListener('abort', () => ((reason = signal.reason), resolve()))),
      { timeoutMs: 50 },
    );
    const outcome = await guard.reload();
    expect(outcome).toMatchObject({ ok: false, reason: 'timeout' });
    await sleep(10);
    expect(reason).toBeInstanceOf(ReloadTimeoutError);
  });

  it('publishes every reload on the diagnostics channel bulwark:hup:reload', async () => {
    const { subscribe, unsubscribe } = await import('node:diagnostics_channel');
    const seen: unknown[] = [];
    const onMessage = (m: unknown) => seen.push(m);
    subscribe('bulwark:hup:reload', onMessage);
    using guard = onHup();
    await guard.reload();
    unsubscribe('bulwark:hup:reload', onMessage);
    expect(seen).toEqual([expect.objectContaining({ trigger: 'call', reloads: 1 })]);
  });

  it('rejects bad options at construction, naming the option and the value', () => {
    expect(() => onHup(() => {}, { coalesceMs: -1 })).toThrow(/coalesceMs must be a number from 0 to 3600000, got -1/);
    expect(() => onHup(() => {}, { coalesceMs: 500, maxDelayMs: 100 })).toThrow(/maxDelayMs .* got 100/);
    expect(() => onHup(() => {}, { reopen: [{}] } as never)).toThrow(/reopen\[0\]/);
    expect(() => onHup(() => {}, { leakBudget: { window: 2 } })).toThrow(/leakBudget.window/);
    expect(() => onHup(() => {}, { cluster: 'all-at-once' } as never)).toThrow(/cluster must be one of "rolling", false/);
    expect(() => onHup(() => {}, { colaesceMs: 5 } as never)).toThrow(InvalidOptionError);
    expect(() => onHup('reload' as never)).toThrow(/reload must be a function/);
  });
});

describe('onHup in a real process, with real signals', () => {
  it('a process without the guard dies of SIGHUP; with it, it survives', async () => {
    const naked = spawnNode(fixture('bare.mjs'));
    children.push(naked);
    await naked.line(/^ready/);
    naked.kill('SIGHUP');
    expect((await naked.exited).signal).toBe('SIGHUP');

    const guarded = await service({});
    guarded.kill('SIGHUP');
    await until(() => reloads(guarded).length === 1, 'one reload');
    expect(guarded.running).toBe(true);
  });

  it('coalesces a burst of 10 HUPs into one reload', async () => {
    const child = await service({ RELOAD_MS: '20' });
    for (let i = 0; i < 10; i++) child.kill('SIGHUP');
    await until(() => reloads(child).length >= 1, 'a reload');
    await settle();
    expect(reloads(child)).toHaveLength(1);
    expect(reloads(child)[0]).toMatchObject({ trigger: 'signal', reloads: 1 });
    expect(reloads(child)[0]!.signals).toBeGreaterThanOrEqual(1);
    expect(child.running).toBe(true);
  });

  it('HUPs during a reload cause exactly one more reload after it, never two at once', async () => {
    const child = await service({ RELOAD_MS: '1000' }, { coalesceMs: 20 }); // long enough that all five land inside it
    child.kill('SIGHUP');
    await child.line(/^reload-start 1 /);
    for (let i = 0; i < 5; i++) {
      child.kill('SIGHUP');
      await sleep(20);
    }
    await until(() => reloads(child).length >= 2, 'two reloads');
    await settle(800);
    expect(reloads(child)).toHaveLength(2);
    expect(maxConcurrent(child)).toBe(1);
    expect(child.running).toBe(true);
  });

  it('a steady stream of HUPs still reloads every maxDelayMs instead of waiting for quiet', async () => {
    const child = await service({}, { coalesceMs: 100, maxDelayMs: 250 });
    const streamEnds = Date.now() + 1500;
    while (Date.now() < streamEnds) {
      child.kill('SIGHUP');
      await sleep(20);
    }
    expect(reloads(child).length).toBeGreaterThanOrEqual(2);
    await settle();
    expect(maxConcurrent(child)).toBe(1);
  });

  it('a reload that throws emits reload-error and the service keeps running and reloads again', async () => {
    const child = await service({ RELOAD_THROW: '1' });
    child.kill('SIGHUP');
    await until(() => events(child, 'reload-error').length === 1, 'a reload-error');
    expect(events(child, 'reload-error')[0]).toMatchObject({ reason: 'threw', errorName: 'Error', message: 'config has a typo' });
    child.kill('SIGHUP');
    await until(() => reloads(child).length === 1, 'a good reload');
    expect(child.running).toBe(true);
  });

  it('a reload that exceeds timeoutMs emits reload-error (timeout) at once, and the next reload starts only after it ended', async () => {
    const child = await service({ RELOAD_HANG: 'abortable' }, { timeoutMs: 300 });
    child.kill('SIGHUP');
    await until(() => events(child, 'reload-error').length === 1, 'a timeout');
    expect(events(child, 'reload-error')[0]).toMatchObject({ reason: 'timeout', errorCode: 'ERR_HUP_RELOAD_TIMEOUT' });
    child.kill('SIGHUP');
    await until(() => reloads(child).length === 1, 'the next reload');
    expect(lines(child, 'reload-end').map((l) => l[1])).toEqual(['1', '2']);
    // reload-error came at the timeout, before the timed-out reload itself ended.
    expect(child.stdout.indexOf('event reload-error ')).toBeLessThan(child.stdout.indexOf('reload-end 1\n'));
    expect(maxConcurrent(child)).toBe(1);
    expect(child.running).toBe(true);
  });

  it('a reload that ignores its abort signal keeps the next one waiting: never two at once, and HUPs never kill', async () => {
    const child = await service({ RELOAD_HANG: 'forever' }, { timeoutMs: 200 });
    child.kill('SIGHUP');
    await until(() => events(child, 'reload-error').length === 1, 'a timeout');
    for (let i = 0; i < 5; i++) child.kill('SIGHUP');
    await settle();
    expect(lines(child, 'reload-start')).toHaveLength(1);
    expect(child.running).toBe(true);
  });

  it('a reload listener that throws surfaces as uncaught after the reload is done; reload() still resolves and later HUPs still reload', async () => {
    const child = await service({ LISTENER_THROW: '1', UNCAUGHT: 'log', CALL_AT_START: '1' });
    await until(() => lines(child, 'outcome').length === 1, "the first reload's outcome");
    expect(JSON.parse(lines(child, 'outcome')[0]!.slice(1).join(' '))).toMatchObject({ ok: true, trigger: 'call', reloads: 1 });
    await until(() => lines(child, 'uncaught').length === 1, 'the uncaught listener error');
    expect(lines(child, 'uncaught')[0]!.join(' ')).toBe('uncaught listener bug');
    for (const expected of [2, 3]) {
      child.kill('SIGHUP');
      await until(() => reloads(child).length === expected, `reload ${expected}`);
    }
    expect(reloads(child).at(-1)).toMatchObject({ trigger: 'signal', reloads: 3 });
    expect(child.running).toBe(true);
  });

  it('without an uncaughtException handler, a throwing reload listener ends the app as any throwing listener would', async () => {
    const child = await service({ LISTENER_THROW: '1' });
    child.kill('SIGHUP');
    const exit = await child.exited;
    expect(exit.code).toBe(1);
    expect(child.stderr).toMatch(/Error: listener bug/);
  });

  it('two guards in one process (ESM and CJS copies) never reload at once, and never reopen a shared destination twice at once', async () => {
    const child = spawnNode(fixture('two-guards.mjs'));
    children.push(child);
    await child.line(/^ready/);
    for (let burst = 0; burst < 3; burst++) {
      child.kill('SIGHUP');
      await until(() => lines(child, 'event').length === 2 * (burst + 1), `both guards reloaded after HUP ${burst + 1}`);
    }
    await settle();
    const starts = lines(child, 'reload-start');
    expect(starts.map((l) => l[1]).sort()).toEqual(['cjs', 'cjs', 'cjs', 'esm', 'esm', 'esm']);
    expect(Math.max(...starts.map((l) => Number(l[2])))).toBe(1);
    expect(lines(child, 'reopen-start')).toHaveLength(6);
    expect(Math.max(...lines(child, 'reopen-start').map((l) => Number(l[1])))).toBe(1);
  });

  it('an app whose only pending work is await guard.reload() gets its timeout outcome instead of exiting early', async () => {
    const child = spawnNode(fixture('awaits-reload.mjs'), { env: { MODE: 'hang' } });
    children.push(child);
    const exit = await child.exited;
    expect(child.stdout).toContain('outcome false timeout');
    expect(exit.code).toBe(0);
  });

  it('an app whose only pending work is await guard.reload() gets its outcome each time a write was in flight at the reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-hup-'));
    try {
      const log = join(dir, 'app.log');
      const child = spawnNode(fixture('awaits-reload.mjs'), { env: { MODE: 'reopen', LOG: log } });
      children.push(child);
      const exit = await child.exited;
      expect(lines(child, 'outcome').map((l) => l.join(' '))).toEqual(Array(30).fill('outcome true -'));
      expect(exit.code).toBe(0);
      expect(lines(child, 'size').map((l) => Number(l[1]))).toEqual(Array(30).fill(16 * 1024 * 1024));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
