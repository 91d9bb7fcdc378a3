// Run by check-packed.mjs in a scratch project that installed the packed tarballs: CJS entry.
const { enable, guardNames } = require('bulwark');
const assert = require('node:assert/strict');

async function main() {
  assert.ok(guardNames.includes('hup'), `guardNames lacks hup: ${guardNames.join(', ')}`);
  const before = process.listenerCount('SIGHUP');
  const enabled = enable(Object.fromEntries(guardNames.map((name) => [name, true])));
  assert.deepEqual(Object.keys(enabled.guards).sort(), [...guardNames].sort(), 'enable() started every flag');
  assert.ok(process.listenerCount('SIGHUP') > before, 'enable({ hup: true }) added a SIGHUP listener');
  await enabled.close();
  assert.equal(process.listenerCount('SIGHUP'), before, 'close() removed the SIGHUP listener');
  console.log(`OK require: ${guardNames.join(', ')}`);
}
main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
