export { openResources, resource, Resource, type ResourceEvents } from './resource.js';
export { checkResourceOptions, type ResourceOptions } from './options.js';
export type { CircuitState } from './circuit.js';
export type { IpcMode } from './segment.js';
export { BulkheadFullError, CircuitOpenError, ResourceClosedError } from './errors.js';
