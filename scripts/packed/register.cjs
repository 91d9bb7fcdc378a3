// Started as `BULWARK_HUP=1 node -r bulwark/register register.cjs`.
const { registered } = require('bulwark');
const assert = require('node:assert/strict');

assert.ok(registered()?.guards.hup, 'bulwark/register enabled hup from BULWARK_HUP=1');
assert.ok(process.listenerCount('SIGHUP') > 0, 'a SIGHUP listener is installed');
console.log('OK -r bulwark/register');
