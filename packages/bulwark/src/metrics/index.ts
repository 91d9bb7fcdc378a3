export { startMetrics, type MetricsBackend, type MetricsOptions } from './start.js';
export { catalog as metricCatalog, type MetricDef } from './catalog.js';
export { MetricsPeerMissingError } from './peers.js';
export type { PromRegistry } from './prometheus.js';
export type { OtelMeter, OtelMeterProvider } from './otel.js';
