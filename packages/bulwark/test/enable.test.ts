import { fileURLToPath } from 'node:url';
import { spawnNode } from '@bulwark/test-rig';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError, enable, flagsFromEnv, guardNames } from '../dist/index.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const registeredApp = fileURLToPath(new URL('./fixtures/registered.mjs', import.meta.url));

describe('enable()', () => {
  it('knows one flag per guard', () => {
    expect([...guardNames].sort()).toEqual(expect.arrayContaining(['hup']));
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

  it('warns about a BULWARK_ variable that names no guard', () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    flagsFromEnv({ BULWARK_HUPP: '1' });
    return new Promise((resolve) => setImmediate(resolve)).then(() => {
      process.off('warning', onWarning);
      expect(warnings).toEqual([expect.stringMatching(/^BULWARK_HUPP names no guard; known: .*BULWARK_HUP\b/)]);
    });
  });

  it('node --import bulwark/register enables once per process, shared by the ESM and CJS copies, and its close() undoes it', async () => {
    const child = spawnNode(registeredApp, { cwd: packageDir, execArgv: ['--import', 'bulwark/register'], env: { BULWARK_HUP: '1' } });
    const exit = await child.exited;
    expect(exit.code).toBe(0);
    const [first, second] = child.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(first).toEqual({ guards: ['hup'], sameFromCjs: true, sighup: 1 });
    expect(second).toEqual({ afterClose: 0 });
  });
});
