import diagnostics_channel from 'node:diagnostics_channel';
import { createRequire } from 'node:module';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resource } from '@bulwark/breaker';
import { onHup } from '@bulwark/hup';
import { type NodeChild, spawnNode, stopAll } from '@bulwark/test-rig';
import { metrics as otelApi } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { enable, flagsFromEnv } from '../dist/index.js';
import { MetricsPeerMissingError, metricCatalog, startMetrics } from '../dist/metrics.js';
import { Backends, parseExposition, valueOf } from './metrics-read.js';

const require = createRequire(import.meta.url);
const prom = require('prom-client') as typeof import('prom-client');
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const packageDir = fileURLToPath(new URL('..', import.meta.url));

// Every channel the metrics read: the guards' events and their warnings.
const channels = [
  ...['retry', 'give-up', 'dead-connection'].map((e) => `bulwark:mysql:${e}`),
  'bulwark:eintr:retry',
  ...['state', 'rejected', 'ipc-recreated', 'tickets-reclaimed'].map((e) => `bulwark:breaker:${e}`),
  ...['reload', 'reload-error', 'reload-leak'].map((e) => `bulwark:hup:${e}`),
  ...['stall', 'recover'].map((e) => `bulwark:watchdog:${e}`),
  ...['mysql', 'eintr', 'breaker', 'hup', 'watchdog', 'fleet'].map((g) => `bulwark:${g}:warning`),
];
const subscribed = () => channels.filter((c) => diagnostics_channel.hasSubscribers(c));

const closers: Array<() => unknown> = [];
const children: NodeChild[] = [];
afterEach(async () => {
  await stopAll(children.splice(0));
  for (const close of closers.splice(0).reverse()) await close();
});

function warnings(): Array<{ code?: string; message: string; name: string }> {
  const seen: Array<{ code?: string; message: string; name: string }> = [];
  const listener = (w: Error & { code?: string }) => seen.push({ code: w.code, message: w.message, name: w.name });
  process.on('warning', listener);
  closers.push(() => process.removeListener('warning', listener));
  return seen;
}

describe('the metrics handle', () => {
  it('costs nothing while off: no channel has a subscriber until metrics start, and none after close()', async () => {
    expect(subscribed()).toEqual([]);
    const listeners = process.eventNames().map((e) => [e, process.listenerCount(e)]);
    const resources = process.getActiveResourcesInfo().length;
    const registry = new prom.Registry();
    const handle = startMetrics({ registry });
    expect(subscribed()).toEqual(channels);
    const closing = handle.close();
    expect(subscribed()).toEqual([]); // the synchronous part is done before close() returns
    expect(handle.close()).toBe(closing);
    await closing;
    expect(process.eventNames().map((e) => [e, process.listenerCount(e)])).toEqual(listeners);
    expect(process.getActiveResourcesInfo().length).toBe(resources);
  });

  it('registers every metric in the registry it is given, and close() takes them out again', async () => {
    const registry = new prom.Registry();
    const handle = startMetrics({ registry });
    const names = Object.values(metricCatalog).map((m) => m.prometheus);
    expect(names.every((n) => registry.getSingleMetric(n) !== undefined)).toBe(true);
    expect(() => startMetrics({ registry })).toThrow(/metrics\.registry must be a registry without bulwark's metrics yet/);
    await handle.close();
    expect(names.filter((n) => registry.getSingleMetric(n) !== undefined)).toEqual([]);
    const again = startMetrics({ registry });
    await again.close();
  });

  it("uses prom-client's default registry when none is given", async () => {
    const handle = startMetrics('prometheus');
    expect(prom.register.getSingleMetric('bulwark_hup_reloads_total')).toBeDefined();
    await handle.close();
    expect(prom.register.getSingleMetric('bulwark_hup_reloads_total')).toBeUndefined();
  });

  it("never changes a guard's outcome when a metric throws: the call still rejects as it would, other observers still hear it, one BulwarkWarning says so", async () => {
    const seen = warnings();
    const registry = new prom.Registry();
    const handle = startMetrics({ registry });
    closers.push(() => handle.close());
    (registry.getSingleMetric('bulwark_breaker_rejections_total') as import('prom-client').Counter).inc = () => {
      throw new Error('broken registry');
    };
    const name = `metrics_broken_${process.pid}`;
    const r = resource(name, {
      tickets: 1,
      acquireTimeoutMs: 0,
      circuit: { volumeThreshold: 1, errorThresholdPercentage: 1, resetTimeout: 60_000 },
    });
    closers.push(() => {
      r.close();
      rmSync(`/dev/shm/bulwark.${process.getuid!()}.${name}`, { force: true });
    });
    const heard: string[] = [];
    r.on('rejected', (e) => heard.push(e.cause));
    await r.run(() => Promise.reject(new Error('down'))).catch(() => {});
    await expect(r.run(() => 1)).rejects.toMatchObject({ code: 'ERR_CIRCUIT_OPEN' });
    await expect(r.run(() => 1)).rejects.toMatchObject({ code: 'ERR_CIRCUIT_OPEN' });
    expect(heard).toEqual(['circuit-open', 'circuit-open']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen.filter((w) => w.code === 'BULWARK_METRICS_RECORD_FAILED')).toEqual([
      {
        code: 'BULWARK_METRICS_RECORD_FAILED',
        name: 'BulwarkWarning',
        message: 'bulwark metrics: recording bulwark:breaker:rejected failed: broken registry',
      },
    ]);
    // The other metrics still record.
    expect(
      valueOf(parseExposition(await registry.metrics()), 'bulwark_breaker_state_changes_total', { resource: name, state: 'open' }),
    ).toBe(1);
  });

  it('says which package to install when the backend asked for is missing, and subscribes to nothing', () => {
    // What Node's resolver answers in an app that never installed the optional peers.
    const Module = require('node:module') as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
    const resolve = Module._resolveFilename;
    Module._resolveFilename = function (request: string, ...rest: unknown[]) {
      if (request === 'prom-client' || request === '@opentelemetry/api')
        throw Object.assign(new Error(`Cannot find module '${request}'`), { code: 'MODULE_NOT_FOUND' });
      return resolve.call(this, request, ...rest);
    };
    try {
      expect(() => enable({ metrics: 'prometheus' })).toThrow(
        expect.objectContaining({ code: 'ERR_METRICS_PEER_MISSING', message: expect.stringContaining('npm install prom-client') }),
      );
      expect(() => startMetrics('otel')).toThrow(/npm install @opentelemetry\/api/);
      expect(() => startMetrics('otel')).toThrow(MetricsPeerMissingError);
    } finally {
      Module._resolveFilename = resolve;
    }
    expect(subscribed()).toEqual([]);
  });

  it('rejects bad options at construction, naming the option and the value', () => {
    expect(() => startMetrics({ backend: 'statsd' } as never)).toThrow(
      /metrics\.backend must be one of "prometheus", "otel", got 'statsd'/,
    );
    expect(() => startMetrics('graphite' as never)).toThrow(/metrics must be one of "prometheus", "otel", got 'graphite'/);
    expect(() => startMetrics({ registry: {} as never })).toThrow(/metrics\.registry must be a prom-client Registry/);
    expect(() => startMetrics({ backend: 'otel', registry: new prom.Registry() })).toThrow(
      /metrics\.registry must be absent with backend 'otel'/,
    );
    expect(() => startMetrics({ prefix: 'x' } as never)).toThrow(/metrics\.prefix must be one of the known options/);
    expect(() => enable({ metrics: 'graphite' as never })).toThrow(
      /metrics must be true, false, 'prometheus', 'otel' or an options object, got 'graphite'/,
    );
    expect(subscribed()).toEqual([]);
  });
});

describe('the metrics flag', () => {
  it("enable({ metrics: 'otel' }) records into the global MeterProvider the app registered", async () => {
    const b = new Backends();
    closers.push(() => b.close());
    otelApi.setGlobalMeterProvider(b.provider);
    closers.push(() => otelApi.disable());
    const guards = enable({ metrics: 'otel', hup: { reload: () => {} } });
    closers.push(() => guards.close());
    await (guards.guards.hup as ReturnType<typeof onHup>).reload();
    // Two handles record (the Backends' own and the flag's), both into the same provider.
    expect(await b.otelValue('bulwark.hup.reloads', { 'bulwark.hup.reload.trigger': 'call' })).toBe(2);
  });

  it("enable({ metrics: 'otel' }) before any MeterProvider is registered says that nothing will be recorded", async () => {
    const seen = warnings();
    const guards = enable({ metrics: 'otel' });
    closers.push(() => guards.close());
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen.map((w) => w.code)).toContain('BULWARK_METRICS_NO_METER_PROVIDER');
  });

  it('BULWARK_METRICS takes prometheus, otel, 1 or JSON, and names the choices when it gets something else', () => {
    expect(flagsFromEnv({ BULWARK_METRICS: 'prometheus' })).toEqual({ metrics: 'prometheus' });
    expect(flagsFromEnv({ BULWARK_METRICS: 'OTel' })).toEqual({ metrics: 'otel' });
    expect(flagsFromEnv({ BULWARK_METRICS: '1' })).toEqual({ metrics: true });
    expect(flagsFromEnv({ BULWARK_METRICS: '{"backend":"otel"}' })).toEqual({ metrics: { backend: 'otel' } });
    expect(() => flagsFromEnv({ BULWARK_METRICS: 'statsd' })).toThrow(
      /BULWARK_METRICS must be 1, 0, prometheus, otel or a JSON object of options, got 'statsd'/,
    );
  });

  it("BULWARK_METRICS=prometheus node --import bulwark/register: the app's own prom-client registry shows the reload a real SIGHUP caused", async () => {
    const child = spawnNode(fixture('metrics-app.mjs'), {
      cwd: packageDir,
      execArgv: ['--import', 'bulwark/register'],
      env: { BULWARK_METRICS: 'prometheus', BULWARK_HUP: '1' },
    });
    children.push(child);
    await child.line(/^ready/);
    child.kill('SIGHUP');
    await child.line(/^reloaded/);
    child.kill('SIGUSR2');
    await child.line(/^end$/);
    const scrape = child.stdout.slice(child.stdout.indexOf('scrape\n'), child.stdout.lastIndexOf('\nend'));
    expect(valueOf(parseExposition(scrape), 'bulwark_hup_reloads_total', { trigger: 'signal', outcome: 'ok' })).toBe(1);
    expect(child.running).toBe(true);
  });
});
