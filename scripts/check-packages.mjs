#!/usr/bin/env node
// Lints what each published package would ship: publint (package.json against the files) and
// @arethetypeswrong/cli (types resolve for import and require); then check-packed.mjs installs the
// tarballs with npm in a scratch project and uses them there.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePnpm, log, root, run } from './lib.mjs';

// publint packs with `pnpm pack`: it must find the private pnpm even when this runs on its own.
ensurePnpm();

const bin = (name) => join(root, 'node_modules/.bin', name);
for (const name of readdirSync(join(root, 'packages')).sort()) {
  const dir = join(root, 'packages', name);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (pkg.private) continue;
  log(`checking ${pkg.name}`);
  run(bin('publint'), ['run', dir, '--strict', '--level', 'warning']);
  run(bin('attw'), ['--pack', dir, '--format', 'table-flipped', '--no-emoji', '--profile', 'node16']);
}

log('checking the packed tarballs from a scratch npm project');
run(process.execPath, [join(root, 'scripts/check-packed.mjs')]);
