export { createConnection, createPool, wrapConnection, type QueryOptions } from './create.js';
export { wrapPool } from './pool.js';
export { setDefaults, type Resource, type RetryInfo, type RetryReadsOptions, type WrapOptions } from './options.js';
export { classify, sessionEffect, type SessionEffect, type StatementKind } from './classify.js';
export { isTransient, type BulwarkFacts, type GiveUpReason } from './transient.js';
export { isWrapped, original } from './forward.js';
export { instrumentMysql2 } from './instrument.js';
