import { InvalidOptionError, checkBoolean, checkNumber, checkOneOf, checkOptions } from '@bulwark/core';
import type CircuitBreaker from 'opossum';
import { checkCircuitOptions } from './circuit-options.js';
import { type FleetOptions, type FleetPlug, fleetPlug } from './fleet-link.js';
import type { IpcMode } from './segment.js';

export interface ResourceOptions {
  /** Tickets shared by every process of the host. Give this or `quota`. */
  readonly tickets?: number;
  /** Tickets as a share of the live worker processes: ceil(workers x quota). Give this or `tickets`. */
  readonly quota?: number;
  /** How long `run()` waits for a free ticket, polling without blocking the loop. @default 0 */
  readonly acquireTimeoutMs?: number;
  /** opossum's options for the circuit breaker. @default {} */
  readonly circuit?: CircuitBreaker.Options;
  /** Share the circuit's state with every process of the host. @default false */
  readonly shareCircuit?: boolean;
  /** Shared memory flavour: POSIX (/dev/shm) or SysV. @default 'posix' */
  readonly ipc?: IpcMode;
  /** Re-create the shared memory when it vanishes (systemd-logind's RemoveIPC, ipcrm). @default true */
  readonly recreate?: boolean;
  /** Share the circuit and a ticket limit with other hosts through Redis (needs `@bulwark/fleet` and `shareCircuit`). */
  readonly fleet?: FleetOptions;
}

export interface Resolved {
  readonly tickets: number | undefined;
  readonly quota: number | undefined;
  readonly acquireTimeoutMs: number;
  readonly circuit: CircuitBreaker.Options;
  readonly shareCircuit: boolean;
  readonly ipc: IpcMode;
  readonly recreate: boolean;
  readonly fleet: ResolvedFleet | undefined;
}

export interface ResolvedFleet {
  readonly plug: FleetPlug;
  readonly options: { readonly hostId: string };
}

const KNOWN = ['tickets', 'quota', 'acquireTimeoutMs', 'circuit', 'shareCircuit', 'ipc', 'recreate', 'fleet'] as const;

/** Checks and defaults a resource's options once; the object passed in is never changed. */
export function resolveOptions(input: ResourceOptions | undefined): Resolved {
  const o = checkOptions('options', input, KNOWN);
  if ((o.tickets === undefined) === (o.quota === undefined))
    throw new InvalidOptionError('tickets', o.tickets, 'given, or quota given instead (exactly one of them)');
  const shareCircuit = checkBoolean('shareCircuit', o.shareCircuit ?? false);
  return {
    tickets: o.tickets === undefined ? undefined : checkNumber('tickets', o.tickets, { min: 1, max: 1 << 20, integer: true }),
    quota: o.quota === undefined ? undefined : checkQuota(o.quota),
    acquireTimeoutMs: checkNumber('acquireTimeoutMs', o.acquireTimeoutMs ?? 0, { min: 0, max: 2 ** 31 - 1 }),
    circuit: checkCircuitOptions(o.circuit),
    shareCircuit,
    ipc: checkOneOf('ipc', o.ipc ?? 'posix', ['posix', 'sysv'] as const),
    recreate: checkBoolean('recreate', o.recreate ?? true),
    fleet: o.fleet === undefined ? undefined : resolveFleet(o.fleet, shareCircuit),
  };
}

function resolveFleet(fleet: FleetOptions, shareCircuit: boolean): ResolvedFleet {
  const plug = fleetPlug();
  if (!plug)
    throw new InvalidOptionError('fleet', fleet, 'used with @bulwark/fleet loaded (npm install @bulwark/fleet, then import it once)');
  if (!shareCircuit)
    throw new InvalidOptionError('shareCircuit', shareCircuit, 'true when fleet is given (the fleet follows the host circuit)');
  return { plug, options: plug.resolve(fleet) };
}

function checkQuota(quota: unknown): number {
  const q = checkNumber('quota', quota, { min: 0, max: 1 });
  if (q === 0) throw new InvalidOptionError('quota', quota, 'a number above 0 and at most 1');
  return q;
}

/** Throws, naming the option and value, when `options` would not make a resource: for callers that open resources later. */
export function checkResourceOptions(options: ResourceOptions): void {
  resolveOptions(options);
}
