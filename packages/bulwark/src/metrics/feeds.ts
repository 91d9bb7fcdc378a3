import { type CircuitState, type ResourceEvents, openResources } from '@bulwark/breaker';
import type { HupEvents, LeakReport } from '@bulwark/hup';
import type { BulwarkFacts, RetryInfo } from '@bulwark/mysql';
import type { RecoverEvent, StallEvent } from '@bulwark/watchdog';
import type { Labels, MetricKey, catalog } from './catalog.js';

/** What a feed records into: the backend's counters and histograms. */
export interface Recorder {
  add(metric: MetricKey, labels: Labels, value?: number): void;
  observe(metric: MetricKey, labels: Labels, value: number): void;
}

/** What the metrics keep between events: the last leak forecast per resource. */
export interface FeedState {
  readonly leaks: Map<string, LeakReport>;
}

type Feed = (payload: never, record: Recorder, state: FeedState) => void;
const feed = <P>(fn: (payload: P, record: Recorder, state: FeedState) => void): Feed => fn as Feed;

/** `bulwark:mysql:give-up` carries the facts of `err.bulwark` and the statement's shape (`read`, `write`). */
type GiveUpEvent = BulwarkFacts & { readonly code: string; readonly method: string; readonly kind: string };

// The guards whose `bulwark:<guard>:warning` is counted (the metrics' own warnings are not: a
// failing recorder would count its own failures).
const warningGuards = ['mysql', 'eintr', 'breaker', 'hup', 'watchdog', 'fleet'] as const;

/** Each diagnostics channel the metrics subscribe to, and what its event records. */
export const feeds: Readonly<Record<string, Feed>> = {
  'bulwark:mysql:retry': feed<RetryInfo>((e, r) => r.add('mysqlRetries', { reason: e.why, code: e.code })),
  'bulwark:mysql:give-up': feed<GiveUpEvent>((e, r) => r.add('mysqlGiveUps', { reason: e.reason, kind: e.kind, code: e.code })),
  'bulwark:mysql:dead-connection': feed((_, r) => r.add('mysqlDeadConnections', {})),
  'bulwark:eintr:retry': feed<{ readonly code: string }>((e, r) => r.add('eintrRetries', { code: e.code })),

  'bulwark:breaker:state': feed<ResourceEvents['state']>((e, r) => r.add('breakerStateChanges', { resource: e.resource, state: e.state })),
  'bulwark:breaker:rejected': feed<ResourceEvents['rejected']>((e, r) =>
    r.add('breakerRejections', { resource: e.resource, cause: e.cause }),
  ),
  'bulwark:breaker:ipc-recreated': feed<ResourceEvents['ipc-recreated']>((e, r) => r.add('breakerIpcRecreated', { resource: e.resource })),
  'bulwark:breaker:tickets-reclaimed': feed<ResourceEvents['tickets-reclaimed']>((e, r) =>
    r.add('breakerTicketsReclaimed', { resource: e.resource }, e.tickets),
  ),

  'bulwark:hup:reload': feed<HupEvents['reload']>((e, r) => reloaded(e, 'ok', r)),
  'bulwark:hup:reload-error': feed<HupEvents['reload-error']>((e, r) => {
    reloaded(e, 'error', r);
    r.add('hupReloadErrors', { reason: e.reason });
  }),
  'bulwark:hup:reload-leak': feed<HupEvents['reload-leak']>((e, _, state) => void state.leaks.set(e.resource, e)),

  'bulwark:watchdog:stall': feed<StallEvent>((e, r) => {
    r.add('watchdogStalls', { kind: e.kind });
    if (e.kick) r.add('watchdogKicks', { helped: String(e.kick.helped) });
  }),
  // The stall event comes when it is detected; its recovery says how long it lasted in all.
  'bulwark:watchdog:recover': feed<RecoverEvent>((e, r) => r.observe('watchdogStallDuration', { kind: e.kind }, e.durationMs / 1000)),

  ...Object.fromEntries(
    warningGuards.map((guard) => [
      `bulwark:${guard}:warning`,
      feed<{ readonly code: string }>((e, r) => r.add('warnings', { guard, code: e.code })),
    ]),
  ),
};

function reloaded(e: HupEvents['reload'], outcome: 'ok' | 'error', r: Recorder): void {
  r.add('hupReloads', { trigger: e.trigger, outcome });
  r.observe('hupReloadDuration', { outcome }, e.durationMs / 1000);
  if (e.signals > 0) r.add('hupSignals', {}, e.signals);
}

type GaugeKey = { [K in MetricKey]: (typeof catalog)[K]['type'] extends 'gauge' ? K : never }[MetricKey];
/** One reading of a gauge: its labels and value. */
export type Reading = readonly [Labels, number];

const states: readonly CircuitState[] = ['closed', 'open', 'half-open'];

/** How each gauge is read at collection time: from the open resources' getters and the last leak forecasts. */
export const gauges: Readonly<Record<GaugeKey, (state: FeedState) => Reading[]>> = {
  breakerState: () =>
    openResources().flatMap((res) => states.map((s): Reading => [{ resource: res.name, state: s }, res.state === s ? 1 : 0])),
  breakerTicketsInUse: () => openResources().map((res): Reading => [{ resource: res.name }, res.held]),
  breakerTicketsLimit: () => openResources().map((res): Reading => [{ resource: res.name }, res.tickets]),
  hupLeakReloadsLeft: ({ leaks }) =>
    [...leaks.values()].flatMap((l): Reading[] => (l.reloadsLeft === null ? [] : [[{ resource: l.resource }, l.reloadsLeft]])),
  hupLeakGrowth: ({ leaks }) => [...leaks.values()].map((l): Reading => [{ resource: l.resource }, l.growthPerReload]),
};
