import diagnostics_channel from 'node:diagnostics_channel';
import { type Guard, GuardHandle, InvalidOptionError, checkOneOf, checkOptions, warnError } from '@bulwark/core';
import type { MetricKey } from './catalog.js';
import { type FeedState, feeds, gauges } from './feeds.js';
import { type OtelMeter, type OtelMeterProvider, otelSink } from './otel.js';
import { type PromRegistry, prometheusSink } from './prometheus.js';
import type { Sink } from './sink.js';

export type MetricsBackend = 'prometheus' | 'otel';

/** Where the metrics go. `'prometheus'` and `'otel'` are short for `{ backend }`. */
export interface MetricsOptions {
  /** `prometheus` (prom-client) or `otel` (@opentelemetry/api). @default 'otel' when `meter` or `meterProvider` is given, else 'prometheus' */
  readonly backend?: MetricsBackend;
  /** The prom-client `Registry` to register in. @default prom-client's global `register` */
  readonly registry?: PromRegistry;
  /** The OpenTelemetry `Meter` to record with. @default meterProvider.getMeter('bulwark') */
  readonly meter?: OtelMeter;
  /** The OpenTelemetry `MeterProvider` to take the meter from. @default the global one (`metrics` of @opentelemetry/api) */
  readonly meterProvider?: OtelMeterProvider;
}

const backends = ['prometheus', 'otel'] as const;
const known = ['backend', 'registry', 'meter', 'meterProvider'] as const;

function resolve(options: MetricsBackend | MetricsOptions) {
  if (typeof options === 'string') return { backend: checkOneOf('metrics', options, backends) };
  const o = checkOptions<MetricsOptions>('metrics', options, known);
  const backend =
    o.backend === undefined ? (o.meter || o.meterProvider ? 'otel' : 'prometheus') : checkOneOf('metrics.backend', o.backend, backends);
  has('metrics.registry', o.registry, 'registerMetric', 'a prom-client Registry');
  has('metrics.meter', o.meter, 'createCounter', 'an OpenTelemetry Meter');
  has('metrics.meterProvider', o.meterProvider, 'getMeter', 'an OpenTelemetry MeterProvider');
  const foreign = backend === 'prometheus' ? (['meter', 'meterProvider'] as const) : (['registry'] as const);
  for (const option of foreign)
    if (o[option] !== undefined) throw new InvalidOptionError(`metrics.${option}`, o[option], `absent with backend '${backend}'`);
  return { ...o, backend };
}

function has(option: string, value: unknown, method: string, expected: string): void {
  if (value === undefined) return;
  if (typeof value !== 'object' || value === null || typeof (value as Record<string, unknown>)[method] !== 'function')
    throw new InvalidOptionError(option, value, expected);
}

/**
 * Metrics for every guard, fed by their diagnostics channels (`bulwark:<guard>:<event>`), into a
 * prom-client registry or an OpenTelemetry meter. Serves nothing: the app exposes its registry or
 * exporter as it already does. `close()` unsubscribes every channel and unregisters the metrics.
 */
export function startMetrics(options: MetricsBackend | MetricsOptions = {}): Guard {
  const o = resolve(options);
  const state: FeedState = { leaks: new Map() };
  const read = (key: MetricKey) => gauges[key as keyof typeof gauges](state);
  const sink = o.backend === 'prometheus' ? prometheusSink(o.registry, read) : otelSink(o.meter, o.meterProvider, read);
  return new Metrics(sink, state);
}

/** The metrics' handle: one subscription per channel, each isolated from the guard that publishes. */
class Metrics extends GuardHandle {
  constructor(sink: Sink, state: FeedState) {
    super('metrics');
    this.cleanup.defer(() => sink.close());
    const failed = new Set<string>();
    for (const [channel, feed] of Object.entries(feeds)) {
      // A metric that throws (a broken registry or meter) must not reach the guard: warn once per channel.
      const subscriber = (payload: unknown) => {
        try {
          feed(payload as never, sink, state);
        } catch (error) {
          if (failed.has(channel)) return;
          failed.add(channel);
          warnError('metrics', 'BULWARK_METRICS_RECORD_FAILED', `bulwark metrics: recording ${channel} failed`, error);
        }
      };
      diagnostics_channel.subscribe(channel, subscriber);
      this.cleanup.defer(() => diagnostics_channel.unsubscribe(channel, subscriber));
    }
  }
}
