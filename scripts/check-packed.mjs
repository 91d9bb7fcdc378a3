#!/usr/bin/env node
// Installs the packed tarballs the way a user would (plain `npm install` in a scratch project) and
// proves `import`, `require`, `bulwark/register` and the types work from there. Needs a build.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capture, ensurePnpm, log, root, run } from './lib.mjs';

const started = performance.now();
const scratch = mkdtempSync(join(tmpdir(), 'bulwark-packed-'));
const tarballs = join(scratch, 'tarballs');
const app = join(scratch, 'app');
// `run` exits the process on a failure; the temp dirs go with it.
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
// A user's npm sees none of the npm_config_* that `pnpm run` exports.
const userEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));

const packed = packAll();
writeScratchProject(packed);
log(`installing ${packed.length} tarballs with npm in a scratch project`);
run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app, env: userEnv, stdio: ['ignore', 'ignore', 'inherit'] });
checkInstalledFromTarballs(packed);

const checks = [
  ['load', ['load-all.mjs', ...packed.map((p) => p.name)], {}],
  ['import', ['enable.mjs'], {}],
  ['require', ['enable.cjs'], {}],
  ['--import bulwark/register', ['--import', 'bulwark/register', 'register.mjs'], { BULWARK_HUP: '1' }],
  ['-r bulwark/register', ['-r', 'bulwark/register', 'register.cjs'], { BULWARK_HUP: '1' }],
  ['npx bulwark doctor', ['doctor.mjs'], {}],
];
for (const [label, args, env] of checks) expectOk(label, process.execPath, args, { env });
const tsc = join(root, 'node_modules/.bin/tsc');
const tscFlags = [
  '--module',
  'nodenext',
  '--moduleResolution',
  'nodenext',
  '--target',
  'es2022',
  '--noEmit',
  '--strict',
  '--skipLibCheck',
  'false',
  '--noUncheckedSideEffectImports',
  '--types',
  'node',
];
// tsc only reads: no 30 s bound, which a busy 2-core machine can exceed.
expectOk('types (tsc nodenext, .mts and .cts)', tsc, [...tscFlags, 'types.mts', 'types.cts'], { wantOk: false, timeoutMs: 10 * 60_000 });

const seconds = ((performance.now() - started) / 1000).toFixed(1);
log(
  `packed tarballs OK: ${packed.map((p) => p.name).join(', ')} install and pass import, require, register, the bulwark bin and types (${seconds} s)`,
);

/** `pnpm pack`s every public package (workspace:^ becomes a real range) into the tarballs dir. */
function packAll() {
  const pnpm = ensurePnpm();
  mkdirSync(tarballs);
  const result = [];
  for (const name of readdirSync(join(root, 'packages')).sort()) {
    const dir = join(root, 'packages', name);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    if (pkg.private) continue;
    if (!existsSync(join(dir, 'dist'))) fail(`${pkg.name} has no dist/: run \`pnpm -r run build\` first`);
    const out = capture(pnpm, ['pack', '--json', '--pack-destination', tarballs], { cwd: dir });
    if (out === undefined) fail(`pnpm pack failed in packages/${name}`);
    // Every peer, optional ones too: the scratch project uses every guard, as such a user would.
    result.push({ name: pkg.name, tarball: JSON.parse(out).filename, peers: Object.entries(pkg.peerDependencies ?? {}) });
  }
  if (!result.some((p) => p.name === 'bulwark')) fail('no public package named bulwark under packages/');
  return result;
}

/** Every package from its tarball, and pinned there through `overrides` wherever it is a dependency. */
function writeScratchProject(packed) {
  mkdirSync(app);
  const file = (p) => `file:${p.tarball}`;
  const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  // Every package direct too, so a package bulwark does not depend on yet still installs and loads.
  const dependencies = Object.fromEntries([...packed.flatMap((p) => p.peers), ...packed.map((p) => [p.name, file(p)])]);
  const devDependencies = { '@types/node': rootPkg.devDependencies['@types/node'] };
  // npm accepts an override of a direct dependency only as `$name`, which points at the tarball above.
  const overrides = Object.fromEntries(packed.map((p) => [p.name, `$${p.name}`]));
  const pkg = { name: 'bulwark-packed-check', private: true, dependencies, devDependencies, overrides };
  writeFileSync(join(app, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  for (const name of readdirSync(join(root, 'scripts/packed'))) copyFileSync(join(root, 'scripts/packed', name), join(app, name));
}

/** Each installed @bulwark package is the packed one, not a registry copy of the same name. */
function checkInstalledFromTarballs(packed) {
  const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8'));
  for (const [path, entry] of Object.entries(lock.packages)) {
    const name = path.split('node_modules/').at(-1);
    if (!packed.some((p) => p.name === name)) continue;
    if (!entry.resolved?.startsWith('file:')) fail(`${path} was installed from ${entry.resolved}, not from its tarball`);
  }
}

/** Runs one check in the scratch project; it must exit 0 (and print OK when `wantOk`) within `timeoutMs`. */
function expectOk(label, file, args, { env = {}, wantOk = true, timeoutMs = 30_000 }) {
  const result = spawnSync(file, args, { cwd: app, encoding: 'utf8', timeout: timeoutMs, env: { ...userEnv, ...env } });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  if (result.error?.code === 'ETIMEDOUT')
    fail(`${label}: still running after ${timeoutMs / 1000} s (something holds the process open)\n${output}`);
  if (result.error) throw result.error;
  if (result.status !== 0 || (wantOk && !result.stdout.includes('OK'))) fail(`${label}: exit ${result.status ?? result.signal}\n${output}`);
}

function fail(message) {
  console.error(`\x1b[1m[bulwark]\x1b[0m check-packed failed: ${message}`);
  process.exit(1);
}
