// Started as `BULWARK_HUP=1 node --import bulwark/register register.mjs`.
import { registered } from 'bulwark';
import { strict as assert } from 'node:assert';

assert.ok(registered()?.guards.hup, 'bulwark/register enabled hup from BULWARK_HUP=1');
assert.ok(process.listenerCount('SIGHUP') > 0, 'a SIGHUP listener is installed');
console.log('OK --import bulwark/register');
