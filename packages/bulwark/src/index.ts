export { GuardsCloseError, enable, guardNames, type BulwarkOptions, type Enabled, type EnabledGuards, type GuardName } from './enable.js';
export { enableFromEnv, flagsFromEnv, registered } from './from-env.js';
export type { GuardPlugin, HandleOf, OptionsOf } from './guards/plugin.js';
export { InvalidOptionError, isBulwarkError } from '@bulwark/core';
export { registerReopen } from '@bulwark/hup';
// The eintr helpers have no flag: they are called where a sync read may be interrupted.
export { readSyncRetry, retryInterrupted } from '@bulwark/eintr';
export {
  doctor,
  ProcessNotFoundError,
  checkNames,
  type CheckName,
  type DoctorOptions,
  type DoctorReport,
  type Finding,
  type ProcessReport,
  type Status,
} from './doctor/index.js';
