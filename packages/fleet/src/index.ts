import { useFleet } from '@bulwark/breaker';
import { FleetSync } from './agent.js';
import { type Resolved, resolveFleet } from './options.js';

// Loading the package plugs the fleet tier into every copy of the breaker in the process.
useFleet({
  resolve: resolveFleet,
  start: (link, resolved) => new FleetSync(link, resolved as Resolved),
});

export { resource, type FleetOptions, type Resource, type ResourceOptions, type ResourceEvents } from '@bulwark/breaker';
export { fleetKeys } from './keys.js';
