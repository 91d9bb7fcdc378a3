import diagnostics_channel from 'node:diagnostics_channel';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { HupGuard, ReloadInfo } from '@bulwark/hup';
import type { GuardHandle } from '@bulwark/core';
import { spawnNode } from '@bulwark/test-rig';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { type Enabled, InvalidOptionError, enable, flagsFromEnv, guardNames } from '../dist/index.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const registeredApp = fileURLToPath(new URL('./fixtures/registered.mjs', import.meta.url));
const pluginFiles = readdirSync(new URL('../src/guards/', import.meta.url)).filter((f) => !['index.ts', 'plugin.ts'].includes(f));

/** Every process event's listener count, to compare before and after. */
const processListeners = () => Object.fromEntries(process.eventNames().map((name) => [String(name), process.listenerCount(name)]));

/** The handles (process.getActiveResourcesInfo()) there are more of now than in `before`. */
function resourcesAddedSince(before: string[]): string[] {
  const left = [...before];
  return process.getActiveResourcesInfo().filter((type) => {
    const i = left.indexOf(type);
    if (i === -1) return true;
    left.splice(i, 1);
    return false;
  });
}

describe('enable()', () => {
  it('knows one flag per guard, each with its plugin file, mysql before the breaker that guards its pools', () => {
    expect([...guardNames].sort()).toEqual(pluginFiles.map((f) => f.replace(/\.ts$/, '')).sort());
    expect(guardNames).toEqual(expect.arrayContaining(['mysql', 'breaker', 'hup', 'watchdog']));
    expect(guardNames.indexOf('mysql')).toBeLessThan(guardNames.indexOf('breaker'));
  });

  it('hands back each started guard by its flag, typed as that guard', async () => {
    const guards = enable({ hup: true, mysql: true });
    const hup = guards.guards.hup;
    // In a worker thread the hup flag serves reopens for the main thread's guard instead.
    expectTypeOf(hup).toEqualTypeOf<HupGuard | GuardHandle | undefined>();
    if (!(hup && 'reload' in hup)) throw new Error('on the main thread the hup flag hands back its HupGuard');
    const reloads: ReloadInfo[] = [];
    hup.on('reload', (info) => reloads.push(info));
    expect(Object.keys(guards.guards).sort()).toEqual(['hup', 'mysql']);
    for (const guard of Object.values(guards.guards)) expect(guard.close).toBeTypeOf('function');
    await guards.close();
  });

  it('close() of every guard at once is awaitable and idempotent, and leaves no listener or handle', async () => {
    const listeners = processListeners();
    const resources = process.getActiveResourcesInfo();
    const guards: Enabled = enable({ mysql: true, breaker: true, hup: true, watchdog: { stallMs: 1_000 } });
    expect(Object.keys(guards.guards).sort()).toEqual(['breaker', 'hup', 'mysql', 'watchdog']);
    expect(processListeners()).not.toEqual(listeners);
    const closing = guards.close();
    expect(guards.close()).toBe(closing);
    await expect(closing).resolves.toBeUndefined();
    await guards[Symbol.asyncDispose]();
    expect(processListeners()).toEqual(listeners);
    expect(resourcesAddedSince(resources)).toEqual([]);
  });

  it('throws on an unknown flag, naming the known guards, before starting anything', () => {
    const listeners = process.listenerCount('SIGHUP');
    const attempt = () => enable({ hup: true, hupp: true } as never);
    expect(attempt).toThrow(InvalidOptionError);
    expect(attempt).toThrow(`hupp must be a known guard flag: ${guardNames.join(', ')}, got true`);
    expect(process.listenerCount('SIGHUP')).toBe(listeners);
  });

  it('throws on a flag that is neither a boolean nor an options object', () => {
    expect(() => enable({ hup: 'yes' } as never)).toThrow(`hup must be true, false or an options object, got 'yes'`);
    expect(() => enable({ hup: [] } as never)).toThrow('hup must be true, false or an options object');
    expect(() => enable('hup' as never)).toThrow('enable() flags must be an object');
  });

  it('a guard that fails to start closes the ones started before it and throws its own error', async () => {
    const listeners = processListeners();
    expect(() => enable({ hup: true, watchdog: { stallMs: -1 } })).toThrow(expect.objectContaining({ code: 'ERR_BULWARK_INVALID_OPTION' }));
    await new Promise((resolve) => setImmediate(resolve));
    expect(processListeners()).toEqual(listeners);
  });

  it('leaves a guard whose flag is false off', async () => {
    const listeners = process.listenerCount('SIGHUP');
    const guards = enable({ hup: false });
    expect(guards.guards).toEqual({});
    expect(process.listenerCount('SIGHUP')).toBe(listeners);
    await guards.close();
  });

  it('close() undoes everything, once, however often it is called', async () => {
    const listeners = process.listenerCount('SIGHUP');
    const guards = enable({ hup: true });
    expect(process.listenerCount('SIGHUP')).toBe(listeners + 1);
    await Promise.all([guards.close(), guards.close()]);
    await guards[Symbol.asyncDispose]();
    expect(process.listenerCount('SIGHUP')).toBe(listeners);
  });
});

describe('flags from the environment', () => {
  it('reads BULWARK_<GUARD> as on, off or JSON options', () => {
    expect(flagsFromEnv({ BULWARK_HUP: '1' })).toEqual({ hup: true });
    expect(flagsFromEnv({ BULWARK_HUP: 'true' })).toEqual({ hup: true });
    expect(flagsFromEnv({ BULWARK_HUP: '0' })).toEqual({});
    expect(flagsFromEnv({ BULWARK_HUP: '{"coalesceMs":50}' })).toEqual({ hup: { coalesceMs: 50 } });
    expect(flagsFromEnv({})).toEqual({});
  });

  it('throws on a value it cannot read, naming the variable', () => {
    expect(() => flagsFromEnv({ BULWARK_HUP: 'maybe' })).toThrow(`BULWARK_HUP must be 1, 0 or a JSON object of options, got 'maybe'`);
    expect(() => flagsFromEnv({ BULWARK_HUP: '{coalesceMs:50}' })).toThrow(/BULWARK_HUP must be valid JSON/);
  });

  it('warns about a BULWARK_ variable that names no guard, with a code, also on bulwark:bulwark:warning', async () => {
    const warnings: Array<Error & { code?: string }> = [];
    const published: unknown[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    const onPublish = (message: unknown) => published.push(message);
    process.on('warning', onWarning);
    diagnostics_channel.subscribe('bulwark:bulwark:warning', onPublish);
    flagsFromEnv({ BULWARK_HUPP: '1' });
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    diagnostics_channel.unsubscribe('bulwark:bulwark:warning', onPublish);
    const message = expect.stringMatching(/^BULWARK_HUPP names no guard; known: .*BULWARK_HUP\b/);
    expect(warnings).toEqual([expect.objectContaining({ name: 'BulwarkWarning', code: 'BULWARK_ENV_UNKNOWN_GUARD', message })]);
    expect(published).toEqual([{ code: 'BULWARK_ENV_UNKNOWN_GUARD', message }]);
  });

  it('node --import bulwark/register enables once per process, shared by the ESM and CJS copies, and its close() undoes it', async () => {
    const child = spawnNode(registeredApp, { cwd: packageDir, execArgv: ['--import', 'bulwark/register'], env: { BULWARK_HUP: '1' } });
    const exit = await child.exited;
    expect(exit.code).toBe(0);
    const [first, second] = child.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(first).toEqual({ guards: ['hup'], sameFromCjs: true, sighup: 1 });
    expect(second).toEqual({ afterClose: 0 });
  });
});
