// Shared by setup.mjs, test.mjs, demo.mjs and bench.mjs. Plain Node, no dependencies: these run
// on a fresh machine before anything is installed.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = dirname(dirname(fileURLToPath(import.meta.url)));
export const cacheDir = join(root, '.cache');
const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
export const pnpmVersion = rootPackage.packageManager.split('@')[1];

export function log(message) {
  console.log(`\x1b[1m[bulwark]\x1b[0m ${message}`);
}

/** Runs a command with inherited output; exits this process with its code when it fails. */
export function run(file, args, options = {}) {
  const result = spawnSync(file, args, { stdio: 'inherit', cwd: root, ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    log(`failed: ${file} ${args.join(' ')} (exit ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
}

/** Runs a command quietly and returns its trimmed stdout, or undefined when it fails. */
export function capture(file, args, options = {}) {
  const result = spawnSync(file, args, { encoding: 'utf8', cwd: root, ...options });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

export function findCommand(command) {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return join(dir, command);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The Debian packages whose command is missing. */
export function missingSystemPackages() {
  const { commands } = JSON.parse(readFileSync(join(root, 'scripts/system-packages.json'), 'utf8'));
  return [...new Set(commands.filter((c) => !findCommand(c.command)).map((c) => c.package))];
}

/** Installs the missing Debian packages as root; otherwise stops with the exact install line. */
export function ensureSystemPackages() {
  const missing = missingSystemPackages();
  if (missing.length === 0) return;
  const line = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0 || !findCommand('apt-get')) {
    console.error(`bulwark needs Debian packages that are missing: ${missing.join(', ')}.\nInstall them with:\n\n  sudo apt-get update && sudo ${line}\n`);
    process.exit(1);
  }
  log(`installing ${missing.join(', ')} from Debian's packages`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', line.split(' ').slice(1), { env });
}

/** pnpm 10: the one on PATH if it is that major, otherwise a private copy under .cache/. */
export function ensurePnpm() {
  const major = pnpmVersion.split('.')[0];
  const onPath = capture('pnpm', ['--version']);
  if (onPath?.split('.')[0] === major) return 'pnpm';
  const local = join(cacheDir, 'pnpm/node_modules/.bin/pnpm');
  if (!existsSync(local)) {
    log(`installing pnpm ${pnpmVersion} into .cache/pnpm`);
    run('npm', ['install', '--prefix', join(cacheDir, 'pnpm'), '--no-save', '--loglevel=error', `pnpm@${pnpmVersion}`]);
  }
  return local;
}

/**
 * Native addons (shm-typed-array) are built for one Node ABI; `npm test` rebuilds them for Node 24
 * and back. If that was interrupted, they are rebuilt for this Node here.
 */
function ensureNativeAddons(pnpm) {
  const probe = spawnSync(process.execPath, ['-e', "require('shm-typed-array')"], { cwd: join(root, 'packages/breaker'), encoding: 'utf8' });
  if (probe.status === 0) return;
  log(`rebuilding native addons for Node ${process.version}`);
  run(pnpm, ['-r', 'rebuild', '--reporter=silent']);
}

/** Everything a fresh machine needs before the demo or the tests: system packages, pnpm, deps, build. */
export function setup() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    console.error(`bulwark needs Node >= 20.19; this is ${process.version}.`);
    process.exit(1);
  }
  ensureSystemPackages();
  const pnpm = ensurePnpm();
  log('installing packages');
  run(pnpm, ['install', '--frozen-lockfile', '--reporter=silent'], { env: { ...process.env, CI: 'true' } });
  ensureNativeAddons(pnpm);
  log('building');
  run(pnpm, ['-r', '--reporter-hide-prefix', 'run', 'build'], { stdio: ['inherit', 'ignore', 'inherit'] });
  return pnpm;
}
