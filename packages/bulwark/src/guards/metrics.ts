import { type MetricsBackend, type MetricsOptions, startMetrics } from '../metrics/start.js';
import type { GuardPlugin } from './plugin.js';

/**
 * `metrics: true | 'prometheus' | 'otel' | MetricsOptions`, or `BULWARK_METRICS=prometheus`:
 * every guard's metrics into prom-client's registry or an OpenTelemetry meter (`true` is `'prometheus'`).
 */
export const metrics = {
  words: ['prometheus', 'otel'],
  enable: (options) => startMetrics(options === true ? {} : options),
} satisfies GuardPlugin<MetricsOptions, MetricsBackend>;
