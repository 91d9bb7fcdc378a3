// Loaded with --import before a test file of mysql2's suite runs under the flag. At exit it writes
// whether the bulwark hook was active on the suite's own mysql2 classes in this process.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, sep } from 'node:path';

const require = createRequire(import.meta.url);
const { MARKER_FILE, SUITE_ROOT } = process.env;

process.on('exit', () => {
  if (!MARKER_FILE) return;
  const base = join(SUITE_ROOT ?? '', 'lib', 'base', 'connection.js');
  const loaded = require.cache[base]?.exports;
  const installs = globalThis[Symbol.for('bulwark.mysql.installs')];
  const flag = globalThis[Symbol.for('bulwark.mysql.flag')];
  const hooked = Boolean(loaded && installs?.get(loaded.prototype)?.has('addCommand') && flag?.options);
  writeFileSync(MARKER_FILE, JSON.stringify({ loaded: Boolean(loaded), hooked, sep }));
});
