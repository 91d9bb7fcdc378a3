import { spawnSync } from 'node:child_process';
import diagnostics_channel from 'node:diagnostics_channel';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { BulkheadFullError, CircuitOpenError, type Resource, type ResourceOptions, openResources, resource } from '../dist/index.js';
import { closeOpened, openForTest, sleep, track, uid, uniqueName } from './host.js';

const open = (options: ResourceOptions, name = uniqueName('res')): Resource => openForTest(name, options);
afterEach(closeOpened);

const never = () => new Promise<void>(() => {});
const failing = () => Promise.reject(new Error('down'));
const openCircuit = { errorThresholdPercentage: 1, volumeThreshold: 1, resetTimeout: 60_000 };

describe('options', () => {
  it.each([
    [{ tickets: 0 }, /tickets must be an integer from 1/],
    [{ tickets: 1.5 }, /tickets must be an integer/],
    [{ quota: 2 }, /quota must be a number from 0 to 1, got 2/],
    [{ quota: 0 }, /quota must be a number above 0/],
    [{}, /tickets must be given, or quota/],
    [{ tickets: 1, quota: 0.5 }, /tickets must be given, or quota given instead/],
    [{ tickets: 1, ipc: 'msgq' }, /ipc must be one of "posix", "sysv", got 'msgq'/],
    [{ tickets: 1, acquireTimeoutMs: -1 }, /acquireTimeoutMs must be/],
    [{ tickets: 1, recreate: 'yes' }, /recreate must be true or false/],
    [{ tickets: 1, semaphores: 3 }, /options.semaphores must be one of the known options/],
    [{ tickets: 1, circuit: { resetTimout: 1_000 } }, /circuit.resetTimout must be one of the known options .*got 1000/],
    [{ tickets: 1, circuit: { timeout: -1 } }, /circuit.timeout must be a number from 0 .*got -1/],
    [{ tickets: 1, circuit: { timeout: true } }, /circuit.timeout must be a number .*got true/],
    [{ tickets: 1, circuit: { resetTimeout: Number.NaN } }, /circuit.resetTimeout must be/],
    [
      { tickets: 1, circuit: { errorThresholdPercentage: 150 } },
      /circuit.errorThresholdPercentage must be a number from 0 to 100, got 150/,
    ],
    [{ tickets: 1, circuit: { volumeThreshold: 2.5 } }, /circuit.volumeThreshold must be an integer/],
    [{ tickets: 1, circuit: { enabled: 'yes' } }, /circuit.enabled must be true or false, got 'yes'/],
    [{ tickets: 1, circuit: 'fast' }, /circuit must be opossum's options object, got 'fast'/],
  ])('rejects %o at construction, naming the option and the value', (options, message) => {
    expect(() => open(options as ResourceOptions)).toThrow(message);
  });

  it('rejects a name that cannot name shared memory', () => {
    expect(() => resource('../etc', { tickets: 1 })).toThrow(/name must be a string matching/);
  });

  it('keeps one options object usable as the defaults of many resources', async () => {
    const defaults: ResourceOptions = { tickets: 1, circuit: { timeout: 1_000 } };
    const copy = structuredClone(defaults);
    const a = open(defaults);
    const b = open(defaults);
    await expect(Promise.all([a.run(() => 'a'), b.run(() => 'b')])).resolves.toEqual(['a', 'b']);
    expect(defaults).toEqual(copy);
  });
});

describe('resource', () => {
  it('is one per name in a process, and a new one after close', () => {
    const name = uniqueName('registry');
    const first = open({ tickets: 1 }, name);
    expect(resource(name, { tickets: 1 })).toBe(first);
    first.close();
    const second = open({ tickets: 1 }, name);
    expect(second).not.toBe(first);
  });

  it('checks the options of a later call for an open name, and throws naming the option', () => {
    const name = uniqueName('registry');
    open({ tickets: 1 }, name);
    expect(() => resource(name, { tickets: 1, circuit: { timeout: -1 } })).toThrow(/circuit.timeout must be .*got -1/);
    expect(() => resource(name, { tickets: 0 })).toThrow(/tickets must be an integer from 1/);
  });

  it('keeps the first options and warns (BulwarkWarning) naming the resource and each ignored option', async () => {
    const name = uniqueName('registry');
    const first = open({ tickets: 1 }, name);
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      expect(resource(name, { tickets: 1, acquireTimeoutMs: 50 })).toBe(first); // not a shaping option: no warning
      expect(resource(name, { tickets: 5, ipc: 'sysv', shareCircuit: true })).toBe(first);
      await sleep(20); // warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    expect(first.tickets).toBe(1);
    expect(first.ipc.mode).toBe('posix');
    expect(warnings.map((w) => [w.name, w.message])).toEqual([
      ['BulwarkWarning', `resource '${name}' is already open with tickets 1: tickets 5 is ignored`],
      ['BulwarkWarning', `resource '${name}' is already open with ipc posix: ipc sysv is ignored`],
      ['BulwarkWarning', `resource '${name}' is already open with shareCircuit false: shareCircuit true is ignored`],
    ]);
  });

  it.each([{}, { timeout: false as const }, { enabled: false }])(
    'runs the function and passes its value and its own error through, with opossum options %o',
    async (circuit) => {
      const res = open({ tickets: 1, circuit });
      const error = new Error('from the dependency');
      await expect(res.run(async () => 42)).resolves.toBe(42);
      await expect(res.run(() => undefined)).resolves.toBeUndefined();
      await expect(res.run(() => Promise.reject(error))).rejects.toBe(error);
      await expect(
        res.run(() => {
          throw error;
        }),
      ).rejects.toBe(error);
      expect(res.held).toBe(0);
    },
  );

  it('passes plain values through as they are with opossum timeout off, and gives each ticket back', async () => {
    const res = open({ tickets: 1, circuit: { timeout: false } });
    for (const value of [undefined, null, 0, '', false, 'x']) await expect(res.run(() => value)).resolves.toBe(value);
    expect(res.held).toBe(0);
  });

  it('rejects with BulkheadFullError (ERR_BULKHEAD_FULL) when no ticket is free', async () => {
    const res = open({ tickets: 1 });
    void res.run(never);
    const error = await res.run(() => 'never runs').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BulkheadFullError);
    expect(error).toMatchObject({ code: 'ERR_BULKHEAD_FULL', resource: res.name, tickets: 1 });
  });

  it('keeps the ticket while a call that opossum timed out still runs, and frees it when the call ends', async () => {
    const res = open({ tickets: 1, circuit: { timeout: 50, volumeThreshold: 10 } });
    let finish!: () => void;
    const slow = res.run(() => new Promise<void>((resolve) => (finish = resolve)));
    await expect(slow).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    expect(res.held).toBe(1);
    await expect(res.run(() => 'x')).rejects.toMatchObject({ code: 'ERR_BULKHEAD_FULL' });
    finish();
    await sleep(10);
    expect(res.held).toBe(0);
  });

  it.each([{}, { timeout: false as const }])(
    "gives the ticket back at once when opossum's own capacity refuses the call, with %o",
    async (circuit) => {
      const res = open({ tickets: 5, circuit: { ...circuit, capacity: 1 } });
      let finish!: () => void;
      const first = res.run(() => new Promise<void>((resolve) => (finish = resolve)));
      await expect(res.run(() => 'x')).rejects.toMatchObject({ code: 'ESEMLOCKED' });
      expect(res.held).toBe(1);
      finish();
      await first;
      expect(res.held).toBe(0);
      await expect(res.run(() => 'y')).resolves.toBe('y'); // opossum's own count came back too
    },
  );

  it.each([{ enabled: false }, { cache: true }, { timeout: 1_000 }, { timeout: false as const }, { timeout: false as const, cache: true }])(
    'gives every ticket back with opossum options %o',
    async (circuit) => {
      const res = open({ tickets: 1, circuit });
      for (let i = 0; i < 3; i++) await expect(res.run(async () => i)).resolves.toBe(circuit.cache ? 0 : i); // a cache hit is settled too
      if (!circuit.cache) await expect(res.run(failing)).rejects.toThrow('down');
      expect(res.held).toBe(0);
    },
  );

  it('waits for a ticket without blocking the event loop', async () => {
    const res = open({ tickets: 1, acquireTimeoutMs: 2_000 });
    let release!: () => void;
    void res.run(() => new Promise<void>((resolve) => (release = resolve)));
    let ticks = 0;
    const interval = setInterval(() => ticks++, 10);
    const waiting = res.run(() => 'got it');
    await sleep(200);
    release();
    await expect(waiting).resolves.toBe('got it');
    clearInterval(interval);
    expect(ticks).toBeGreaterThan(5);
  });

  it('rejects with CircuitOpenError (ERR_CIRCUIT_OPEN) once the circuit opens, without calling the function', async () => {
    const res = open({ tickets: 2, circuit: openCircuit });
    await expect(res.run(failing)).rejects.toThrow('down');
    let called = false;
    const error = await res.run(() => (called = true)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(error).toMatchObject({ code: 'ERR_CIRCUIT_OPEN', resource: res.name });
    expect(called).toBe(false);
    expect(res.state).toBe('open');
  });

  it("reports 'state' as an event and on diagnostics_channel bulwark:breaker:state", async () => {
    const res = open({ tickets: 1, circuit: openCircuit });
    const seen: unknown[] = [];
    const published: unknown[] = [];
    const onPublish = (message: unknown) => published.push(message);
    res.on('state', (payload) => seen.push(payload));
    diagnostics_channel.subscribe('bulwark:breaker:state', onPublish);
    await res.run(failing).catch(() => {});
    diagnostics_channel.unsubscribe('bulwark:breaker:state', onPublish);
    expect(seen).toEqual([{ resource: res.name, state: 'open', shared: false }]);
    expect(published).toEqual(seen);
  });

  it("reports each call it turns away as 'rejected', by cause, also on diagnostics_channel bulwark:breaker:rejected", async () => {
    const res = open({ tickets: 1, circuit: openCircuit });
    const seen: unknown[] = [];
    const published: unknown[] = [];
    const onPublish = (message: unknown) => published.push(message);
    res.on('rejected', (payload) => seen.push(payload));
    diagnostics_channel.subscribe('bulwark:breaker:rejected', onPublish);
    void res.run(never);
    await expect(res.run(() => 1)).rejects.toMatchObject({ code: 'ERR_BULKHEAD_FULL' });
    const other = open({ tickets: 1, circuit: openCircuit });
    other.on('rejected', (payload) => seen.push(payload));
    await other.run(failing).catch(() => {});
    await expect(other.run(() => 1)).rejects.toMatchObject({ code: 'ERR_CIRCUIT_OPEN' });
    diagnostics_channel.unsubscribe('bulwark:breaker:rejected', onPublish);
    expect(seen).toEqual([
      { resource: res.name, cause: 'bulkhead-full' },
      { resource: other.name, cause: 'circuit-open' },
    ]);
    expect(published).toEqual(seen);
  });

  it('lists the resources open in this process with openResources()', () => {
    const res = open({ tickets: 1 });
    expect(openResources()).toContain(res);
    res.close();
    expect(openResources()).not.toContain(res);
  });
});

it('works from require() too, and its errors match across the ESM and CJS copies', async () => {
  const { createRequire } = await import('node:module');
  const cjs = createRequire(import.meta.url)('../dist/index.cjs') as typeof import('../dist/index.js');
  const res = cjs.resource(uniqueName('cjs'), { tickets: 1 });
  track(res as unknown as Resource);
  void res.run(never);
  const error = await res.run(() => 'x').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(BulkheadFullError);
  expect(error).toBeInstanceOf(cjs.BulkheadFullError);
});

describe('close', () => {
  it('is idempotent, gives the tickets back and leaves no timer or listener behind', async () => {
    const holder = open({ tickets: 1 });
    const name = holder.name;
    const resources = process.getActiveResourcesInfo().length;
    const exitListeners = process.listenerCount('exit');
    const res = open({ tickets: 1, shareCircuit: true });
    await res.run(() => 'ran');
    res.close();
    res.close();
    expect(process.getActiveResourcesInfo().length).toBe(resources);
    expect(process.listenerCount('exit')).toBe(exitListeners);
    rmSync(`/dev/shm/bulwark.${uid}.${res.name}`, { force: true });
    await expect(res.run(() => 'ran')).rejects.toMatchObject({ code: 'ERR_BULWARK_CLOSED' });
    void holder.run(never);
    holder[Symbol.dispose]();
    const again = open({ tickets: 1 }, name);
    await expect(again.run(() => 'free')).resolves.toBe('free');
  });

  it('keeps stdout clean at exit and never holds the process open', () => {
    const script = `import('${new URL('../dist/index.js', import.meta.url).href}').then(async ({ resource }) => { const r = resource('${uniqueName('exit')}', { tickets: 1, ipc: 'sysv' }); await r.run(() => 1); })`;
    const child = spawnSync(process.execPath, ['-e', script], { timeout: 10_000, cwd: fileURLToPath(new URL('.', import.meta.url)) });
    expect(child.status, String(child.stderr)).toBe(0);
    expect(String(child.stdout)).toBe('');
  });
});
