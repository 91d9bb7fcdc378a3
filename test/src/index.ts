export { findCommand, requireCommand } from './requirements.js';
export { NodeChild, isAlive, spawnNode, spawnWorkers, stopAll, type Exit, type SpawnOptions } from './processes.js';
export { Logrotate, logrotate, type LogrotateOptions, type LogrotateRun } from './logrotate.js';
export { MariaDb, sharedMariaDb, type MariaDbAddress, type MariaDbStartOptions } from './mariadb.js';
export { freePort } from './ports.js';
export { FaultProxy, startFaultProxy, type FaultKind, type FaultRecord, type FaultRule } from './proxy.js';
export { RedisCluster, RedisServer, type RedisStartOptions } from './redis.js';
export { catchNextTickThrows } from './next-tick.js';
export { WorkerGroup } from './worker-group.js';
