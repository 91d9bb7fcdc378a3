#!/usr/bin/env node
// `pnpm bench [name] [--flag]`: runs bench/<name>.mjs (all of them when no name is given). Each benchmark
// measures bulwark and the anchor it competes with in the same run and prints ratios.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './lib.mjs';

const benchDir = join(root, 'bench');
// Each bench/<name>.mjs is a benchmark; report.mjs is their shared table, fixtures/ their child processes.
const all = readdirSync(benchDir)
  .filter((f) => f.endsWith('.mjs') && f !== 'report.mjs')
  .map((f) => f.slice(0, -4))
  .sort();
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
// Flags (`--steady`) go to each benchmark.
const flags = process.argv.slice(2).filter((a) => a.startsWith('-'));
const chosen = wanted.length === 0 ? all : all.filter((b) => wanted.includes(b));
if (chosen.length === 0) {
  console.error(`no benchmark named ${wanted.join(' ')}; benchmarks: ${all.join(', ')}`);
  process.exit(1);
}
let failed = false;
for (const name of chosen) {
  console.log(`\n=== bench/${name}`);
  const result = spawnSync(process.execPath, ['--expose-gc', join(benchDir, `${name}.mjs`), ...flags], { stdio: 'inherit', cwd: benchDir });
  failed ||= result.status !== 0;
}
process.exit(failed ? 1 : 0);
