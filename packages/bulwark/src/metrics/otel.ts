import { warn } from '@bulwark/core';
import type * as Otel from '@opentelemetry/api';
import { type Labels, type MetricDef, type MetricKey, catalog } from './catalog.js';
import { loadPeer } from './peers.js';
import type { Sink } from './sink.js';

type Attributes = Record<string, string>;

/** An OpenTelemetry `Meter`, typed loosely so that bulwark's types need no @opentelemetry/api. */
export interface OtelMeter {
  createCounter(name: string, options?: object): { add(value: number, attributes?: Attributes): void };
  createHistogram(name: string, options?: object): { record(value: number, attributes?: Attributes): void };
  createObservableGauge(
    name: string,
    options?: object,
  ): {
    addCallback(callback: (result: { observe(value: number, attributes?: Attributes): void }) => void): void;
    removeCallback(callback: (result: { observe(value: number, attributes?: Attributes): void }) => void): void;
  };
}

/** An OpenTelemetry `MeterProvider`. */
export interface OtelMeterProvider {
  getMeter(name: string): OtelMeter;
}

/** The meter `bulwark` records with: the one given, or one from the provider (the global one by default). */
function meterFor(meter: OtelMeter | undefined, provider: OtelMeterProvider | undefined): OtelMeter {
  if (meter) return meter;
  if (provider) return provider.getMeter('bulwark');
  const api = loadPeer<typeof Otel>('@opentelemetry/api');
  const global = api.metrics.getMeter('bulwark');
  // The metrics API has no proxy provider: a meter taken before the SDK registers records nothing, ever.
  if (Object.getPrototypeOf(global) === Object.getPrototypeOf(api.createNoopMeter()))
    warn(
      'metrics',
      'BULWARK_METRICS_NO_METER_PROVIDER',
      "bulwark metrics 'otel': no global MeterProvider is registered yet, so nothing will be recorded; start the OpenTelemetry SDK before enabling bulwark (--import ./otel.mjs --import bulwark/register), or pass metrics: { meter }",
    );
  return global as unknown as OtelMeter;
}

/** Creates every instrument of the catalog on the meter; `close()` stops the gauges' callbacks. */
export function otelSink(
  meter: OtelMeter | undefined,
  provider: OtelMeterProvider | undefined,
  read: (key: MetricKey) => ReadonlyArray<readonly [Labels, number]>,
): Sink {
  const m = meterFor(meter, provider);
  const counters = new Map<MetricKey, ReturnType<OtelMeter['createCounter']>>();
  const histograms = new Map<MetricKey, ReturnType<OtelMeter['createHistogram']>>();
  const stops: Array<() => void> = [];
  for (const [key, def] of Object.entries(catalog) as Array<[MetricKey, MetricDef]>) {
    const options = { description: def.help, unit: def.unit };
    if (def.type === 'counter') counters.set(key, m.createCounter(def.otel, options));
    else if (def.type === 'histogram')
      histograms.set(key, m.createHistogram(def.otel, { ...options, advice: { explicitBucketBoundaries: [...def.buckets!] } }));
    else {
      const gauge = m.createObservableGauge(def.otel, options);
      const callback = (result: { observe(value: number, attributes?: Attributes): void }) => {
        for (const [labels, value] of read(key)) result.observe(value, attributes(def, labels));
      };
      gauge.addCallback(callback);
      stops.push(() => gauge.removeCallback(callback));
    }
  }
  return {
    add: (key, labels, value = 1) => counters.get(key)!.add(value, attributes(catalog[key], labels)),
    observe: (key, labels, value) => histograms.get(key)!.record(value, attributes(catalog[key], labels)),
    close: () => stops.forEach((stop) => stop()),
  };
}

/** Prometheus label names become the metric's OpenTelemetry attribute names. */
function attributes(def: MetricDef, labels: Labels): Attributes {
  const out: Attributes = {};
  for (const name in labels) out[def.labels[name] ?? name] = labels[name]!;
  return out;
}
