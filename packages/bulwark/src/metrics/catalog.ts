/** One metric, named for each backend. Labels are the Prometheus label names. */
export interface MetricDef {
  readonly type: 'counter' | 'histogram' | 'gauge';
  /** Prometheus name: base units, `_total` on counters. */
  readonly prometheus: string;
  /** OpenTelemetry name: dotted namespace, the unit in `unit` rather than in the name. */
  readonly otel: string;
  /** UCUM unit for OpenTelemetry (`s`, `1`, or a `{annotation}` for a count). */
  readonly unit: string;
  readonly help: string;
  /** Each Prometheus label with the OpenTelemetry attribute it becomes. Values are bounded sets. */
  readonly labels: Readonly<Record<string, string>>;
  /** Histogram bucket upper bounds, in the metric's unit. */
  readonly buckets?: readonly number[];
}

const resource = { resource: 'bulwark.breaker.resource' } as const;

function def<T extends MetricDef['type']>(
  type: T,
  prometheus: string,
  otel: string,
  unit: string,
  help: string,
  labels: MetricDef['labels'] = {},
  buckets?: readonly number[],
): MetricDef & { readonly type: T } {
  return { type, prometheus, otel, unit, help, labels, ...(buckets ? { buckets } : {}) };
}

/**
 * Every metric bulwark emits. No label ever carries SQL, a pid, a path or a message: each is a
 * code, a reason, a kind or a resource name the app chose.
 */
export const catalog = {
  mysqlRetries: def(
    'counter',
    'bulwark_mysql_retries_total',
    'bulwark.mysql.retries',
    '{retry}',
    'Statements sent again after a lost connection, by why (not-sent, read-lost) and error code.',
    { reason: 'bulwark.mysql.retry.reason', code: 'error.type' },
  ),
  mysqlGiveUps: def(
    'counter',
    'bulwark_mysql_give_ups_total',
    'bulwark.mysql.give_ups',
    '{statement}',
    'Statements failed on a lost connection and not retried, by reason (write-in-doubt, in-transaction, rows-delivered, closed-on-first-statement, attempts-exhausted).',
    { reason: 'bulwark.mysql.give_up.reason', kind: 'bulwark.mysql.statement.kind', code: 'error.type' },
  ),
  mysqlDeadConnections: def(
    'counter',
    'bulwark_mysql_dead_connections_total',
    'bulwark.mysql.dead_connections',
    '{connection}',
    'Dead connections the pool handed out and the guard dropped before sending anything.',
  ),
  eintrRetries: def(
    'counter',
    'bulwark_eintr_retries_total',
    'bulwark.eintr.retries',
    '{retry}',
    'Interrupted calls called again, by error code (EINTR, EAGAIN).',
    { code: 'error.type' },
  ),

  breakerState: def(
    'gauge',
    'bulwark_breaker_state',
    'bulwark.breaker.state',
    '1',
    "1 for the circuit's current state in this process, 0 for the others.",
    { ...resource, state: 'bulwark.breaker.circuit.state' },
  ),
  breakerStateChanges: def(
    'counter',
    'bulwark_breaker_state_changes_total',
    'bulwark.breaker.state_changes',
    '{change}',
    'Circuit state changes in this process, by the state entered.',
    { ...resource, state: 'bulwark.breaker.circuit.state' },
  ),
  breakerTicketsInUse: def(
    'gauge',
    'bulwark_breaker_tickets_in_use',
    'bulwark.breaker.tickets.usage',
    '{ticket}',
    "Bulkhead tickets this process holds now (sum over the host's processes for the host's use).",
    resource,
  ),
  breakerTicketsLimit: def(
    'gauge',
    'bulwark_breaker_tickets_limit',
    'bulwark.breaker.tickets.limit',
    '{ticket}',
    'Bulkhead tickets configured for the host (tickets, or quota x live workers).',
    resource,
  ),
  breakerRejections: def(
    'counter',
    'bulwark_breaker_rejections_total',
    'bulwark.breaker.rejections',
    '{call}',
    'Calls turned away without being sent, by cause (bulkhead-full, circuit-open).',
    { ...resource, cause: 'bulwark.breaker.rejection.cause' },
  ),
  breakerIpcRecreated: def(
    'counter',
    'bulwark_breaker_ipc_recreated_total',
    'bulwark.breaker.ipc.recreations',
    '{recreation}',
    'Times the shared memory vanished (RemoveIPC, ipcrm) and this process re-created or re-joined it.',
    resource,
  ),
  breakerTicketsReclaimed: def(
    'counter',
    'bulwark_breaker_tickets_reclaimed_total',
    'bulwark.breaker.tickets.reclaimed',
    '{ticket}',
    'Tickets taken back from dead holders.',
    resource,
  ),

  hupReloads: def(
    'counter',
    'bulwark_hup_reloads_total',
    'bulwark.hup.reloads',
    '{reload}',
    'Reloads run, by trigger (signal, call) and outcome (ok, error).',
    { trigger: 'bulwark.hup.reload.trigger', outcome: 'bulwark.hup.reload.outcome' },
  ),
  hupReloadErrors: def(
    'counter',
    'bulwark_hup_reload_errors_total',
    'bulwark.hup.reload.errors',
    '{reload}',
    'Failed reloads, by reason (threw, timeout, reopen, roll).',
    { reason: 'error.type' },
  ),
  hupReloadDuration: def(
    'histogram',
    'bulwark_hup_reload_duration_seconds',
    'bulwark.hup.reload.duration',
    's',
    'How long reloads took, by outcome.',
    { outcome: 'bulwark.hup.reload.outcome' },
    [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  ),
  hupSignals: def(
    'counter',
    'bulwark_hup_signals_total',
    'bulwark.hup.signals',
    '{signal}',
    'SIGHUPs absorbed by reloads (a lower bound: the kernel merges pending ones).',
  ),
  hupLeakReloadsLeft: def(
    'gauge',
    'bulwark_hup_leak_reloads_left',
    'bulwark.hup.leak.reloads_left',
    '{reload}',
    'Reloads left before a resource that grows with every reload reaches its limit (the last forecast).',
    { resource: 'bulwark.hup.leak.resource' },
  ),
  hupLeakGrowth: def(
    'gauge',
    'bulwark_hup_leak_growth_per_reload',
    'bulwark.hup.leak.growth',
    '1',
    'Growth per reload of a resource that leaks across reloads (the last forecast).',
    { resource: 'bulwark.hup.leak.resource' },
  ),

  watchdogStalls: def(
    'counter',
    'bulwark_watchdog_stalls_total',
    'bulwark.watchdog.stalls',
    '{stall}',
    'Stalls detected, by kind (blocked: the event loop stopped; deaf: it runs but the server does not answer).',
    { kind: 'bulwark.watchdog.stall.kind' },
  ),
  watchdogStallDuration: def(
    'histogram',
    'bulwark_watchdog_stall_duration_seconds',
    'bulwark.watchdog.stall.duration',
    's',
    'How long stalls lasted, start to recovery, by kind.',
    { kind: 'bulwark.watchdog.stall.kind' },
    [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  ),
  watchdogKicks: def(
    'counter',
    'bulwark_watchdog_kicks_total',
    'bulwark.watchdog.kicks',
    '{kick}',
    'Signals sent to wake a deaf server, by whether the probe then succeeded.',
    { helped: 'bulwark.watchdog.kick.helped' },
  ),

  warnings: def(
    'counter',
    'bulwark_warnings_total',
    'bulwark.warnings',
    '{warning}',
    "Guards' own troubles that did not fail the guarded work, by guard and stable code.",
    { guard: 'bulwark.guard', code: 'bulwark.warning.code' },
  ),
} as const satisfies Record<string, MetricDef>;

export type MetricKey = keyof typeof catalog;
export type Labels = Readonly<Record<string, string>>;
