export { BulwarkError, InvalidOptionError, isBulwarkError, kBulwarkError, describe } from './errors.js';
export { checkBoolean, checkFunction, checkNumber, checkOneOf, checkOptions, checkString } from './options.js';
export { GuardEmitter, channelFor, publish } from './events.js';
export { delay, sleepSync, unrefInterval, unrefTimeout } from './timers.js';
export { processGlobal } from './process-global.js';
export { procStatFields } from './proc.js';
export { Cleanup } from './cleanup.js';
export type { Guard } from './guard.js';
