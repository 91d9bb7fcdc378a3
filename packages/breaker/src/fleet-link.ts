import { processGlobal } from '@bulwark/core';
import { GATE, closeHost, openHost, since } from './circuit.js';
import { H, S, SLOTS, slotBase } from './layout.js';

/**
 * The `fleet` options a resource takes. They are read by `@bulwark/fleet`, which must be loaded
 * (imported once) for a resource to join a fleet; the breaker itself never talks to Redis.
 */
export interface FleetOptions {
  /** A Redis URL, ioredis options, or an open ioredis client (`Redis`, `Redis.Cluster`, Sentinel). */
  readonly redis: unknown;
  /** Concurrent calls allowed across every host of the fleet. */
  readonly tickets?: number;
  /** Hosts whose circuit must be open to open the fleet's: a count, or a fraction (0-1) of the hosts seen in the window. */
  readonly quorum?: number;
  /** How long a host's lease of fleet tickets lasts without renewal. */
  readonly leaseMs?: number;
  /** This host's name in the fleet; part of the shared-memory name. */
  readonly hostId?: string;
  /** How long a host counts as seen, and an open host's vote lasts. */
  readonly windowMs?: number;
}

/** What one host's resource looks like to the fleet tier now. */
export interface HostView {
  /** The host's shared circuit is open. */
  readonly open: boolean;
  /** Milliseconds since the host's circuit last opened (or re-opened after a failed trial). */
  readonly openedAgoMs: number;
  /** A half-open trial of this host is out. */
  readonly trialOut: boolean;
  /** Tickets taken on the host now. */
  readonly used: number;
  /** The host's own ticket limit (before any fleet lease). */
  readonly tickets: number;
  /** Other live processes are registered on the host. */
  readonly othersAttached: boolean;
}

export type FleetGate = keyof typeof GATE;

/** The one process of a host that runs the fleet tier acts on the host's shared memory through this. */
export interface HostLink {
  readonly resource: string;
  readonly hostId: string;
  /** The circuit's `resetTimeout`. */
  readonly resetMs: number;
  /** How long a trial may stay out before it counts as hung. */
  readonly trialMs: number;
  view(): HostView;
  /** Opens the host's circuit for the fleet (every process follows within 20 ms). */
  openCircuit(): void;
  /** Closes the host's circuit unless a trial is out; true when it is closed. */
  closeCircuit(): boolean;
  /** The host's share of the fleet's tickets, or undefined for the host's own limit only. */
  setLease(tickets: number | undefined): void;
  /** Whether this host may send the fleet's half-open trial. */
  setGate(gate: FleetGate): void;
  setStatus(status: 'synced' | 'degraded'): void;
}

/** A fleet tier running in a host's agent process. */
export interface FleetAgent {
  /** Stops syncing; `last` when no other process of the host is left to take over. */
  stop(last: boolean): Promise<void>;
}

/** How `@bulwark/fleet` plugs into the breaker. */
export interface FleetPlug {
  /** Checks and defaults `fleet` options; throws InvalidOptionError naming `fleet.<option>`. */
  resolve(input: FleetOptions): { readonly hostId: string };
  /** Starts the fleet tier for `link` in this process, the host's agent. */
  start(link: HostLink, resolved: { readonly hostId: string }): FleetAgent;
}

const plugs = processGlobal('breaker.fleet-plug', () => ({ plug: undefined as FleetPlug | undefined }));

/** Called by `@bulwark/fleet` when it loads: resources with `fleet` options use it. */
export function useFleet(plug: FleetPlug): void {
  plugs.plug = plug;
}

export const fleetPlug = (): FleetPlug | undefined => plugs.plug;

/** A HostLink over a resource's segment, read through `words()` since the segment can be re-created. */
export function hostLink(
  resource: string,
  hostId: string,
  circuit: { readonly resetMs: number; readonly trialMs: number },
  words: () => Int32Array,
  hostTickets: () => number,
): HostLink {
  return {
    resource,
    hostId,
    resetMs: circuit.resetMs,
    trialMs: circuit.trialMs,
    view() {
      const w = words();
      return {
        open: Atomics.load(w, H.circuitState) === 1,
        openedAgoMs: since(Atomics.load(w, H.circuitOpenedAt)),
        trialOut: Atomics.load(w, H.circuitTrial) !== 0,
        used: Math.max(0, Atomics.load(w, H.used)),
        tickets: hostTickets(),
        othersAttached: othersAttached(w),
      };
    },
    openCircuit: () => void openHost(words()),
    closeCircuit: () => closeHost(words()),
    setLease: (tickets) => Atomics.store(words(), H.fleetLimit, tickets === undefined ? 0 : tickets + 1),
    setGate: (gate) => Atomics.store(words(), H.fleetGate, GATE[gate]),
    setStatus: (status) => Atomics.store(words(), H.fleetStatus, status === 'synced' ? 1 : 2),
  };
}

function othersAttached(words: Int32Array): boolean {
  for (let slot = 0; slot < SLOTS; slot++) {
    const pid = Atomics.load(words, slotBase(slot) + S.pid);
    if (pid > 0 && pid !== process.pid) return true;
  }
  return false;
}
