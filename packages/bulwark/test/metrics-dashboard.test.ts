import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { metricCatalog, startMetrics } from '../dist/metrics.js';

const prom = createRequire(import.meta.url)('prom-client') as typeof import('prom-client');
const dashboard: unknown = JSON.parse(readFileSync(new URL('../grafana/dashboard.json', import.meta.url), 'utf8'));

interface Panel {
  readonly type: string;
  readonly title: string;
  readonly targets?: ReadonlyArray<{ readonly expr: string }>;
}

/** Every string anywhere in the dashboard (queries, template variables). */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

/** The names a real registry exposes once the metrics start: each metric, and a histogram's series. */
async function emitted(): Promise<Map<string, readonly string[]>> {
  const registry = new prom.Registry();
  const handle = startMetrics({ registry });
  const names = new Map<string, readonly string[]>();
  for (const [, name, type] of (await registry.metrics()).matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const labels = Object.keys(Object.values(metricCatalog).find((m) => m.prometheus === name)!.labels);
    const series = type === 'histogram' ? ['_bucket', '_sum', '_count'].map((s) => name! + s) : [name!];
    for (const s of series) names.set(s, s.endsWith('_bucket') ? [...labels, 'le'] : labels);
  }
  await handle.close();
  return names;
}

const panels = (dashboard as { panels: Panel[] }).panels;
const queries = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));

describe('the Grafana dashboard', () => {
  it('is valid JSON with a row for every guard', () => {
    const rows = panels.filter((p) => p.type === 'row').map((p) => p.title.split(':')[0]);
    expect(rows).toEqual(['MySQL', 'Breaker', 'Hup', 'Watchdog', 'Warnings']);
  });

  it('names only metrics the code emits', async () => {
    const names = await emitted();
    const used = new Set(strings(dashboard).flatMap((s) => s.match(/\bbulwark_\w+/g) ?? []));
    expect([...used].filter((n) => !names.has(n))).toEqual([]);
  });

  it('shows every metric the code emits', () => {
    const shown = Object.values(metricCatalog).filter((m) =>
      queries.some((q) => new RegExp(`\\b${m.prometheus}(_bucket|_sum|_count)?\\b`).test(q)),
    );
    expect(shown.map((m) => m.prometheus)).toEqual(Object.values(metricCatalog).map((m) => m.prometheus));
  });

  it('groups and filters only by labels its metrics carry', async () => {
    const names = await emitted();
    for (const query of queries) {
      const labels = new Set(['job', 'instance', ...(query.match(/\bbulwark_\w+/g) ?? []).flatMap((n) => names.get(n) ?? [])]);
      const grouped = [...query.matchAll(/\bby \(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((l) => l.trim()));
      const matched = [...query.matchAll(/(\w+)=~?"/g)].map((m) => m[1]!);
      expect(
        [...grouped, ...matched].filter((l) => !labels.has(l)),
        query,
      ).toEqual([]);
    }
  });
});
