export { openResources, resource, type Resource, type ResourceEvents } from './resource.js';
export { checkResourceOptions, type ResourceOptions } from './options.js';
export type { CircuitState } from './circuit.js';
export type { IpcMode } from './segment.js';
export { BulkheadFullError, CircuitOpenError, OpossumUnsupportedError, ResourceClosedError, SharedMemoryError } from './errors.js';
export { GuardClosedError } from '@bulwark/core';
export {
  useFleet,
  type FleetAgent,
  type FleetGate,
  type FleetOptions,
  type FleetPlug,
  type HostLink,
  type HostView,
} from './fleet-link.js';
