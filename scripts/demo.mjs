#!/usr/bin/env node
// `pnpm demo [name]`: runs each example's story, the failure without its guard and the fix with
// it, and prints a table. An example's `demo` script exits 0 only when it showed both, and prints
// one line `without guard: ...` and one line `with guard: ...` that the table quotes.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './lib.mjs';

const examplesDir = join(root, 'examples');
const examples = readdirSync(examplesDir)
  .map((name) => ({ name, dir: join(examplesDir, name), file: join(examplesDir, name, 'package.json') }))
  .filter((e) => existsSync(e.file))
  .map((e) => ({ ...e, pkg: JSON.parse(readFileSync(e.file, 'utf8')) }))
  .filter((e) => e.pkg.scripts?.demo)
  .sort((a, b) => a.name.localeCompare(b.name));

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const chosen = wanted.length === 0 ? examples : examples.filter((e) => wanted.some((w) => e.name.includes(w)));
if (chosen.length === 0) {
  console.error(`no example matches ${wanted.join(' ')}; examples: ${examples.map((e) => e.name).join(', ') || 'none yet'}`);
  process.exit(1);
}

const rows = [];
for (const example of chosen) rows.push(await runDemo(example));
printTable(rows);
// The full demo ends with `bulwark doctor` against a story service, without and with its guard.
const doctorOk = wanted.length > 0 || (await runDoctor()).ok;
process.exit(rows.every((r) => r.ok) && doctorOk ? 0 : 1);

function runDoctor() {
  return runDemo({
    name: 'bulwark doctor',
    dir: join(examplesDir, 'loser-buys'),
    pkg: { description: 'the loser-buys service examined from outside', scripts: { demo: 'node doctor.mjs' } },
  });
}

function runDemo({ name, dir, pkg }) {
  console.log(`\n\x1b[1m=== ${name}: ${pkg.description ?? ''}\x1b[0m\n`);
  const started = performance.now();
  let output = '';
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', pkg.scripts.demo], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, PATH: `${join(dir, 'node_modules/.bin')}:${join(root, 'node_modules/.bin')}:${process.env.PATH}` },
    });
    const timeout = setTimeout(() => child.kill('SIGKILL'), 10 * 60_000);
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      output += chunk;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timeout);
      const quote = (label) =>
        output
          .match(new RegExp(`^${label}:\\s*(.*)$`, 'gim'))
          ?.at(-1)
          ?.replace(/^[^:]*:\s*/, '') ?? '(not shown)';
      resolve({
        name,
        without: quote('without guard'),
        with: quote('with guard'),
        seconds: ((performance.now() - started) / 1000).toFixed(1),
        ok: code === 0,
        exit: code ?? signal,
      });
    });
  });
}

function printTable(rows) {
  const header = { name: 'story', without: 'without guard', with: 'with guard', seconds: 'seconds', status: 'result' };
  const lines = [header, ...rows.map((r) => ({ ...r, status: r.ok ? 'ok' : `FAILED (${r.exit})` }))];
  const keys = Object.keys(header);
  // The two story columns wrap at word boundaries; the others are short.
  const width = Object.fromEntries(keys.map((k) => [k, Math.min(48, Math.max(...lines.map((l) => String(l[k]).length)))]));
  const row = (line) => {
    const cells = keys.map((k) => wrap(String(line[k]), width[k]));
    const height = Math.max(...cells.map((c) => c.length));
    return Array.from({ length: height }, (_, i) =>
      cells
        .map((c, j) => (c[i] ?? '').padEnd(width[keys[j]]))
        .join('  ')
        .trimEnd(),
    ).join('\n');
  };
  console.log(`\n${row(header)}\n${keys.map((k) => '-'.repeat(width[k])).join('  ')}`);
  console.log(lines.slice(1).map(row).join('\n\n'));
}

function wrap(text, width) {
  const out = [''];
  for (const word of text.split(' ')) {
    const last = out.length - 1;
    if (out[last] === '') out[last] = word;
    else if (out[last].length + 1 + word.length <= width) out[last] += ` ${word}`;
    else out.push(word);
  }
  return out;
}
