// Shared by enable.mjs and enable.cjs (each loads `bulwark` its own way): enables every guard with
// `true`, checks that a SIGHUP listener comes and goes, and that close() settles.
const assert = require('node:assert/strict');

module.exports = async function checkEnable({ enable, guardNames }, label) {
  // A close() that waits on something unref'd never settles: the process just ends (13 under ESM).
  let closing = false;
  let closed = false;
  process.on('exit', () => {
    if (!closing || closed) return;
    console.error("enabled.close() never settled: a guard's close() awaits something that does not hold the process open");
    process.exitCode = 1;
  });
  assert.ok(guardNames.includes('hup'), `guardNames lacks hup: ${guardNames.join(', ')}`);
  const before = process.listenerCount('SIGHUP');
  // Every guard starts from `true` with no outside service; one that cannot is a finding.
  const enabled = enable(Object.fromEntries(guardNames.map((name) => [name, true])));
  assert.deepEqual(Object.keys(enabled.guards).sort(), [...guardNames].sort(), 'enable() started every flag');
  assert.ok(process.listenerCount('SIGHUP') > before, 'enable({ hup: true }) added a SIGHUP listener');
  closing = true;
  await enabled.close();
  closed = true;
  assert.equal(process.listenerCount('SIGHUP'), before, 'close() removed the SIGHUP listener');
  console.log(`OK ${label}: ${guardNames.join(', ')}`);
};
