export { findCommand, requireCommand } from './requirements.js';
export { NodeChild, spawnNode, spawnWorkers, stopAll, type Exit, type SpawnOptions } from './processes.js';
export { Logrotate, logrotate, type LogrotateOptions, type LogrotateRun } from './logrotate.js';
