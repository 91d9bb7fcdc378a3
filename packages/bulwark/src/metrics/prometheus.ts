import { InvalidOptionError } from '@bulwark/core';
import type * as Prom from 'prom-client';
import { type Labels, type MetricDef, type MetricKey, catalog } from './catalog.js';
import { loadPeer } from './peers.js';
import type { Sink } from './sink.js';

/** A prom-client `Registry`, typed loosely so that bulwark's types need no prom-client. */
export interface PromRegistry {
  registerMetric(metric: never): void;
  getSingleMetric(name: string): unknown;
  removeSingleMetric(name: string): void;
}

type PromMetric = Prom.Counter | Prom.Histogram | Prom.Gauge;

/**
 * Registers every metric of the catalog in `registry` (prom-client's global `register` by
 * default); `close()` removes them again. Gauges are read when the registry is scraped.
 */
export function prometheusSink(
  registry: PromRegistry | undefined,
  read: (key: MetricKey) => ReadonlyArray<readonly [Labels, number]>,
): Sink {
  const client = loadPeer<typeof Prom>('prom-client');
  const target = (registry ?? client.register) as Prom.Registry;
  const metrics = new Map<MetricKey, PromMetric>();
  const close = () => {
    for (const [key, metric] of metrics)
      if (target.getSingleMetric(catalog[key].prometheus) === metric) target.removeSingleMetric(catalog[key].prometheus);
  };
  for (const [key, def] of Object.entries(catalog) as Array<[MetricKey, MetricDef]>) {
    if (target.getSingleMetric(def.prometheus)) {
      close();
      throw new InvalidOptionError(
        'metrics.registry',
        target,
        `a registry without bulwark's metrics yet (${def.prometheus} is registered: close the other metrics first)`,
      );
    }
    metrics.set(key, create(client, target, key, def, read));
  }
  return {
    add: (key, labels, value = 1) => (metrics.get(key) as Prom.Counter).inc(labels, value),
    observe: (key, labels, value) => (metrics.get(key) as Prom.Histogram).observe(labels, value),
    close,
  };
}

function create(
  client: typeof Prom,
  registry: Prom.Registry,
  key: MetricKey,
  def: MetricDef,
  read: (key: MetricKey) => ReadonlyArray<readonly [Labels, number]>,
): PromMetric {
  const config = { name: def.prometheus, help: def.help, labelNames: Object.keys(def.labels), registers: [registry] };
  if (def.type === 'counter') return new client.Counter(config);
  if (def.type === 'histogram') return new client.Histogram({ ...config, buckets: [...def.buckets!] });
  return new client.Gauge({
    ...config,
    collect() {
      this.reset();
      for (const [labels, value] of read(key)) this.set(labels, value);
    },
  });
}
