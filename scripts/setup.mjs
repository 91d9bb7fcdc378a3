#!/usr/bin/env node
// `npm run setup`: on a fresh machine with only Node and npm, installs what bulwark needs and
// (with --demo) runs every story.
import { log, run, setup } from './lib.mjs';

const pnpm = setup();
if (pnpm !== 'pnpm') log(`pnpm 10 is not on PATH: using ${pnpm}; \`npm run demo\`, \`npm run bench\` and \`npm test\` need no pnpm of yours`);
if (process.argv.includes('--demo')) run(pnpm, ['run', '--silent', 'demo']);
