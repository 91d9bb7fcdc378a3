// Reads bulwark's metrics back as a user's monitoring does: a scrape of a real prom-client
// registry, and what a real OpenTelemetry SDK exports through its in-memory exporter.
import { createRequire } from 'node:module';
import type { Guard } from '@bulwark/core';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { startMetrics } from '../dist/metrics.js';

const prom = createRequire(import.meta.url)('prom-client') as typeof import('prom-client');

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parses Prometheus' text exposition into its samples. */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample named `name` whose labels include `labels`, or undefined. */
export function valueOf(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

export interface OtelPoint {
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly value: number | { readonly count: number; readonly sum?: number };
}

/** Both backends at once, each fed by its own metrics handle. */
export class Backends {
  readonly registry = new prom.Registry();
  readonly exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  readonly reader = new PeriodicExportingMetricReader({ exporter: this.exporter, exportIntervalMillis: 3_600_000 });
  readonly provider = new MeterProvider({ readers: [this.reader] });
  readonly handles: Guard[];

  constructor() {
    this.handles = [startMetrics({ registry: this.registry }), startMetrics({ meterProvider: this.provider })];
  }

  /** Scrapes the registry, as Prometheus does. */
  async scrape(): Promise<Sample[]> {
    return parseExposition(await this.registry.metrics());
  }

  /** One export of the SDK: the points of instrument `name`. */
  async otel(name: string): Promise<OtelPoint[]> {
    this.exporter.reset();
    await this.reader.forceFlush();
    const metrics = this.exporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
    return (metrics.find((m) => m.descriptor.name === name)?.dataPoints ?? []) as unknown as OtelPoint[];
  }

  /** The value of the one point of `name` whose attributes include `attributes`. */
  async otelValue(name: string, attributes: Record<string, string> = {}): Promise<OtelPoint['value'] | undefined> {
    const found = (await this.otel(name)).filter((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v));
    if (found.length > 1) throw new Error(`${found.length} points of ${name} match ${JSON.stringify(attributes)}`);
    return found[0]?.value;
  }

  async close(): Promise<void> {
    for (const handle of this.handles) await handle.close();
    await this.provider.shutdown();
  }
}
