export { createConnection, createPool, isWrapped, original, wrapConnection, wrapPool, type QueryOptions } from './create.js';
export { setDefaults, type Resource, type RetryInfo, type RetryReadsOptions, type Runner, type WrapOptions } from './options.js';
export { classify, sessionEffect, type SessionEffect, type StatementKind } from './classify.js';
export { isTransient, type BulwarkFacts, type GiveUpReason } from './transient.js';
export { MysqlAlreadyInstrumentedError, instrumentMysql2 } from './instrument.js';
