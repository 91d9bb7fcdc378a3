#!/usr/bin/env node
// `npm run setup`: on a fresh machine with only Node and npm, installs what bulwark needs and
// (with --demo) runs every story.
import { run, setup } from './lib.mjs';

const pnpm = setup();
if (process.argv.includes('--demo')) run(pnpm, ['run', '--silent', 'demo']);
