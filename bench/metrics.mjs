// bench/metrics: what bulwark/metrics costs each guard's hot path, with metrics on (prom-client
// registry, OpenTelemetry SDK meter) against metrics off, in the same run and in turns, as ratios:
// a mysql read (clean, and retried after a reset, where a retry is recorded), breaker run()
// admitted and turned away by an open circuit (a rejection is recorded), and a hup reload (a reload
// is recorded). The watchdog publishes only on a stall, never on its heartbeat: nothing to measure.
import diagnostics_channel from 'node:diagnostics_channel';
import { rmSync } from 'node:fs';
import { resource } from '@bulwark/breaker';
import { onHup } from '@bulwark/hup';
import { createPool } from '@bulwark/mysql';
import { MariaDb, startFaultProxy } from '@bulwark/test-rig';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { startMetrics } from 'bulwark/metrics';
import client from 'prom-client';
import { nsPerCall, percentile, printTable } from './report.mjs';

const registry = new client.Registry();
const reader = new PeriodicExportingMetricReader({
  exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
  exportIntervalMillis: 3_600_000,
});
const provider = new MeterProvider({ readers: [reader] });
const modes = {
  off: () => undefined,
  prometheus: () => startMetrics({ registry }),
  otel: () => startMetrics({ meterProvider: provider }),
};
const names = Object.keys(modes);

/** Medians of `measure` with metrics off and on with each backend, taken in turns (order flipped each round). */
async function offAndOn(runs, measure) {
  const values = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < runs; i++) {
    for (const mode of i % 2 === 0 ? names : [...names].reverse()) {
      const handle = modes[mode]();
      try {
        values[mode].push(await measure());
      } finally {
        await handle?.close();
      }
    }
  }
  return Object.fromEntries(names.map((n) => [n, percentile(values[n], 50)]));
}

/** Two rows, one per backend, each against metrics off. */
function rows(name, unit, medians) {
  return ['prometheus', 'otel'].map((backend) => ({
    name: `${name}, ${backend}`,
    value: medians[backend],
    unit,
    anchor: 'metrics off',
    anchorValue: medians.off,
  }));
}

const uid = process.getuid();
const work = async () => undefined;
const noop = () => {};

async function breakerRows() {
  const admitted = resource(`bench-metrics-${process.pid}`, { tickets: 4, circuit: { timeout: false } });
  const open = resource(`bench-metrics-open-${process.pid}`, {
    tickets: 4,
    circuit: { timeout: false, volumeThreshold: 1, errorThresholdPercentage: 1, resetTimeout: 3_600_000 },
  });
  await open.run(() => Promise.reject(new Error('down'))).catch(noop);
  if (open.state !== 'open') throw new Error('the circuit did not open');
  try {
    return [
      ...rows('breaker run(), admitted', 'ns', await offAndOn(15, () => nsPerCall(() => admitted.run(work), 50_000))),
      ...rows(
        'breaker run(), turned away (circuit open)',
        'ns',
        await offAndOn(15, () => nsPerCall(() => open.run(work).catch(noop), 20_000)),
      ),
    ];
  } finally {
    for (const r of [admitted, open]) {
      r.close();
      rmSync(`/dev/shm/bulwark.${uid}.${r.name}`, { force: true });
    }
  }
}

async function hupRows() {
  const guard = onHup(async () => undefined);
  try {
    return rows('hup guard.reload() (each one recorded)', 'ns', await offAndOn(15, () => nsPerCall(() => guard.reload(), 10_000)));
  } finally {
    await guard.close();
  }
}

/** Reads per second with 8 callers for `ms`. */
async function throughput(pool, ms) {
  let done = 0;
  const until = performance.now() + ms;
  const worker = async () => {
    for (let id = 1; performance.now() < until; id++) {
      await pool.query('SELECT ? AS id', [id]).catch(noop);
      done++;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return done / (ms / 1000);
}

/** Microseconds per read when each read meets one reset before its answer and is retried (one caller). */
async function retriedReads(pool, proxy, n) {
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    proxy.clear().fault({ kind: 'reset-before-answer', count: 1, match: /^SELECT \d+ AS id/ });
    await pool.query('SELECT ? AS id', [i]);
  }
  return ((performance.now() - started) * 1000) / n;
}

async function mysqlRows() {
  const db = await MariaDb.start();
  const proxy = await startFaultProxy(db);
  const clean = createPool({ ...db.address, connectionLimit: 8 });
  // No backoff: its random wait would drown what is measured.
  const faulty = createPool(
    { ...db.address, socketPath: undefined, host: proxy.host, port: proxy.port, connectionLimit: 8 },
    { retryReads: { attempts: 3, backoffMs: 0 } },
  );
  try {
    await throughput(clean, 500);
    const cleanRows = rows('mysql read, 8 in flight, q/s', 'q/s', await offAndOn(7, () => throughput(clean, 1000)));
    await retriedReads(faulty, proxy, 50);
    const retriedRows = rows(
      'mysql read retried after a reset (a retry recorded), per read',
      'us',
      await offAndOn(7, () => retriedReads(faulty, proxy, 100)),
    );
    return [...cleanRows, ...retriedRows];
  } finally {
    await Promise.all([clean.end(), faulty.end()]);
    await proxy.close();
    await db.close();
  }
}

/** What one event costs a guard: the publish of `bulwark:mysql:retry`, with and without subscribers. */
async function eventRows() {
  const channel = diagnostics_channel.channel('bulwark:mysql:retry');
  const info = { attempt: 1, attempts: 3, why: 'read-lost', code: 'ECONNRESET', delayMs: 0, elapsedMs: 1, method: 'query', kind: 'read' };
  const publish = () => {
    if (channel.hasSubscribers) channel.publish(info);
  };
  return rows('one event published (bulwark:mysql:retry)', 'ns', await offAndOn(15, () => nsPerCall(publish, 300_000)));
}

try {
  const all = [...(await eventRows()), ...(await breakerRows()), ...(await hupRows()), ...(await mysqlRows())];
  printTable('metrics on (prom-client registry / OpenTelemetry SDK meter) against metrics off, same run, in turns', all);
  console.log(
    'watchdog: its heartbeat publishes nothing; the metrics see only stall and recover events, so its hot path has nothing to measure.',
  );
} finally {
  await provider.shutdown();
}
