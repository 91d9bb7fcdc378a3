import { warnError } from '@bulwark/core';
import { type FleetAgent, type FleetPlug, type HostLink } from './fleet-link.js';
import { H } from './layout.js';
import { isAlive, ownStartTime } from './liveness.js';

/**
 * A process's part in its host's fleet: one process of the host (the agent, elected through the
 * segment and replaced within a tick when it dies) runs the fleet tier; every process follows the
 * host's fleet status and reports `fleet-degraded` / `fleet-restored`.
 */
export class FleetHost {
  #agent: FleetAgent | undefined;
  #status = 0;

  constructor(
    private readonly plug: FleetPlug,
    private readonly resolved: { readonly hostId: string },
    private readonly link: HostLink,
    private readonly words: () => Int32Array,
    private readonly onStatus: (status: 'fleet-degraded' | 'fleet-restored') => void,
  ) {}

  /** Elects an agent when the host has none alive, and follows the host's fleet status. */
  tick(): void {
    const words = this.words();
    const agent = Atomics.load(words, H.fleetAgent);
    if (agent === process.pid) {
      if (!this.#agent) this.#start(); // a re-created segment where this process claimed first
    } else {
      if (this.#agent) this.#stop(false); // another process took over (a re-created segment)
      if (agent === 0 || !isAlive(agent, Atomics.load(words, H.fleetAgentStart))) this.#claim(words, agent);
    }
    const status = Atomics.load(words, H.fleetStatus);
    if (status === this.#status) return;
    if (status === 2) this.onStatus('fleet-degraded');
    else if (status === 1 && this.#status === 2) this.onStatus('fleet-restored');
    this.#status = status;
  }

  /** Hands the agent's part over: the next process's tick takes it. */
  stop(): Promise<void> {
    const words = this.words();
    const last = !this.link.view().othersAttached;
    Atomics.compareExchange(words, H.fleetAgent, process.pid, 0);
    return this.#stop(last);
  }

  #claim(words: Int32Array, dead: number): void {
    Atomics.store(words, H.fleetAgentStart, 0);
    if (Atomics.compareExchange(words, H.fleetAgent, dead, process.pid) !== dead) return;
    Atomics.store(words, H.fleetAgentStart, ownStartTime());
    this.#start();
  }

  #start(): void {
    try {
      this.#agent = this.plug.start(this.link, this.resolved);
    } catch (error) {
      // The host keeps its own guards; another process (or this one, next tick) tries again.
      Atomics.compareExchange(this.words(), H.fleetAgent, process.pid, 0);
      warnError('breaker', 'BULWARK_BREAKER_FLEET_START', `fleet tier of ${this.link.resource} did not start`, error);
    }
  }

  #stop(last: boolean): Promise<void> {
    const agent = this.#agent;
    this.#agent = undefined;
    return agent ? agent.stop(last) : Promise.resolve();
  }
}
