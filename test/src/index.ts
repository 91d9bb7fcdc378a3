export { findCommand, requireCommand } from './requirements.js';
export { NodeChild, isAlive, spawnNode, spawnWorkers, stopAll, type Exit, type SpawnOptions } from './processes.js';
export { Logrotate, logrotate, type LogrotateOptions, type LogrotateRun } from './logrotate.js';
export { MariaDb, freePort, startMariaDb, type MariaDbAddress, type MariaDbStartOptions } from './mariadb.js';
export { FaultProxy, startFaultProxy, type FaultKind, type FaultRecord, type FaultRule } from './proxy.js';
export { sharedMariaDb } from './shared.js';
