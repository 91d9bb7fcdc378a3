// Shared by the benchmarks: timing loops and a table that prints bulwark next to its anchor.

/** Runs `fn` (sync or async) `iterations` times after a warm-up; resolves with ns per call. */
export async function nsPerCall(fn, iterations, warmup = Math.min(10_000, iterations)) {
  for (let i = 0; i < warmup; i++) await fn();
  globalThis.gc?.();
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await fn();
  return Number(process.hrtime.bigint() - started) / iterations;
}

/** The median of several runs of `measure`, to damp a noisy shared machine. */
export async function median(runs, measure) {
  const values = [];
  for (let i = 0; i < runs; i++) values.push(await measure());
  return percentile(values, 50);
}

/** The p-th percentile (0..100) of a list of numbers. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/**
 * Prints rows `{ name, value, unit, anchor, anchorValue, target, ratio? }` as a table with the ratio
 * value/anchorValue (or `ratio` when given: the median of ratios paired run by run), and whether it
 * meets `target` (a ratio bound: `<= 0.1`, `>= 0.98`).
 */
export function printTable(title, rows) {
  console.log(`\n${title}`);
  const lines = rows.map((r) => {
    const ratio = r.ratio ?? (r.anchorValue ? r.value / r.anchorValue : undefined);
    const meets = r.target && ratio !== undefined ? (checkTarget(ratio, r.target) ? 'meets' : 'MISSES') + ` ${r.target}` : '';
    return [
      r.name,
      `${fmt(r.value)} ${r.unit}`,
      r.anchor ?? '',
      r.anchorValue ? `${fmt(r.anchorValue)} ${r.unit}` : '',
      ratio === undefined ? '' : `${ratio.toFixed(3)}x`,
      meets,
    ];
  });
  const header = ['measure', 'bulwark', 'anchor', 'anchor value', 'ratio', 'target'];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  console.log(row(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(row(l));
}

function checkTarget(ratio, target) {
  const [, op, bound] = target.match(/^(<=|>=)\s*([\d.]+)/) ?? [];
  return op === '<=' ? ratio <= Number(bound) : op === '>=' ? ratio >= Number(bound) : true;
}

function fmt(n) {
  return n >= 100 ? n.toFixed(0) : n >= 1 ? n.toFixed(2) : n.toFixed(4);
}
