// Run by check-packed.mjs in a scratch project that installed the packed tarballs: CJS entry.
const { enable, guardNames } = require('bulwark');
const assert = require('node:assert/strict');

// A close() that waits on something unref'd never settles: the process just ends (13 under ESM).
let closing = false;
let closed = false;
process.on('exit', () => {
  if (!closing || closed) return;
  console.error("enabled.close() never settled: a guard's close() awaits something that does not hold the process open");
  process.exitCode = 1;
});
async function main() {
  assert.ok(guardNames.includes('hup'), `guardNames lacks hup: ${guardNames.join(', ')}`);
  const before = process.listenerCount('SIGHUP');
  const enabled = enable(Object.fromEntries(guardNames.map((name) => [name, true])));
  assert.deepEqual(Object.keys(enabled.guards).sort(), [...guardNames].sort(), 'enable() started every flag');
  assert.ok(process.listenerCount('SIGHUP') > before, 'enable({ hup: true }) added a SIGHUP listener');
  closing = true;
  await enabled.close();
  closed = true;
  assert.equal(process.listenerCount('SIGHUP'), before, 'close() removed the SIGHUP listener');
  console.log(`OK require: ${guardNames.join(', ')}`);
}
main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
