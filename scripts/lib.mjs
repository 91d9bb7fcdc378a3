// Shared by setup.mjs, test.mjs, demo.mjs and bench.mjs. Plain Node, no dependencies: these run
// on a fresh machine before anything is installed.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
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
  return dirs.map((dir) => join(dir, command)).find(isExecutable);
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
    console.error(
      `bulwark needs Debian packages that are missing: ${missing.join(', ')}.\nInstall them with:\n\n  sudo apt-get update && sudo ${line}\n`,
    );
    process.exit(1);
  }
  log(`installing ${missing.join(', ')} from Debian's packages`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', line.split(' ').slice(1), { env });
}

/**
 * The pnpm of `packageManager`, always the private copy under .cache/pnpm (installed once), never
 * one of the machine's: a fresh machine has none, so a developer's global pnpm must not be what
 * the tools find either. Its folder goes first on this process's PATH, which every child inherits
 * (publint's `pnpm pack`, vitest, the examples), and any other pnpm on PATH is masked.
 */
export function ensurePnpm() {
  const prefix = join(cacheDir, 'pnpm');
  const bin = join(prefix, 'node_modules/.bin');
  if (readVersion(join(prefix, 'node_modules/pnpm/package.json')) !== pnpmVersion) {
    log(`installing pnpm ${pnpmVersion} into .cache/pnpm`);
    run('npm', ['install', '--prefix', prefix, '--no-save', '--loglevel=error', `pnpm@${pnpmVersion}`]);
  }
  process.env.PATH = [
    bin,
    ...(process.env.PATH ?? '')
      .split(delimiter)
      .filter((d) => d !== bin)
      .map(withoutPnpm),
  ].join(delimiter);
  return join(bin, 'pnpm');
}

function readVersion(packageJson) {
  return existsSync(packageJson) ? JSON.parse(readFileSync(packageJson, 'utf8')).version : undefined;
}

const pnpmCommands = ['pnpm', 'pnpx'];

/**
 * A PATH folder that holds another pnpm (a global install, corepack's shim) is replaced by a copy
 * of it in .cache/path without pnpm: links to all its other commands, so node and npm still resolve.
 */
function withoutPnpm(dir) {
  if (!pnpmCommands.some((c) => isExecutable(join(dir, c)))) return dir;
  const names = readdirSync(dir).filter((name) => !pnpmCommands.includes(name));
  const masked = join(
    cacheDir,
    'path',
    createHash('sha256')
      .update([dir, ...names].join('\0'))
      .digest('hex')
      .slice(0, 16),
  );
  if (existsSync(masked)) return masked;
  const partial = `${masked}.${process.pid}`;
  mkdirSync(partial, { recursive: true });
  for (const name of names) symlinkSync(join(dir, name), join(partial, name));
  try {
    renameSync(partial, masked);
  } catch (error) {
    // Another script made the same folder at the same moment: use that one.
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(masked)) throw error;
  }
  return masked;
}

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Every pnpm a child started now would find on PATH: exactly the private one, or a line saying what else. */
export function checkOnlyPrivatePnpm(pnpm) {
  const found = (process.env.PATH ?? '')
    .split(delimiter)
    .flatMap((dir) => pnpmCommands.map((c) => join(dir, c)))
    .filter(isExecutable);
  const others = found.filter((file) => dirname(file) !== dirname(pnpm));
  if (found[0] !== pnpm || others.length > 0) {
    console.error(`the tools would not find the private pnpm ${pnpm} first and alone on PATH; found: ${found.join(', ') || 'none'}`);
    process.exit(1);
  }
}

/**
 * Native addons (shm-typed-array) are built for one Node ABI; `npm test` builds them for each Node
 * line it tests and back. If that was interrupted, they are rebuilt for this Node here.
 */
function ensureNativeAddons(pnpm) {
  const probe = spawnSync(process.execPath, ['-e', "require('shm-typed-array')"], {
    cwd: join(root, 'packages/breaker'),
    encoding: 'utf8',
  });
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
