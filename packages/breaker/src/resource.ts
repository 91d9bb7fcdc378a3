import { GuardClosedError, GuardHandle, checkString, delay, unrefInterval, warn, warnError } from '@bulwark/core';
import { Circuit, type CircuitState } from './circuit.js';
import { BulkheadFullError, CircuitOpenError } from './errors.js';
import { FleetHost } from './fleet-host.js';
import { hostLink } from './fleet-link.js';
import { type ResourceOptions, type Resolved, resolveOptions } from './options.js';
import { type IpcMode, type Segment, openSegment } from './segment.js';
import { Tickets } from './tickets.js';

export interface ResourceEvents {
  /** The shared memory vanished and this process re-created or re-joined it, re-registering what it held. */
  'ipc-recreated': { resource: string; ipc: IpcMode; created: boolean; reregisteredTickets: number };
  /** A dead holder's tickets were taken back. */
  'tickets-reclaimed': { resource: string; pid: number; tickets: number };
  /** The circuit changed state in this process. */
  state: { resource: string; state: CircuitState; shared: boolean };
  /** `run()` turned a call away without calling it: no ticket within `acquireTimeoutMs`, or the circuit is open. */
  rejected: { resource: string; cause: 'bulkhead-full' | 'circuit-open' };
  /** The fleet tier lost Redis: the host runs on its own tickets and circuit until it is back. */
  'fleet-degraded': { resource: string; hostId: string };
  /** Redis answers again: the host follows the fleet's circuit and lease again. */
  'fleet-restored': { resource: string; hostId: string };
}

/** How often a process checks that the segment is still there and reclaims dead holders' tickets. */
const WATCH_MS = 250;
/** How often a shared circuit follows the host's state. */
const FOLLOW_MS = 20;

/** A dependency guarded by a circuit breaker and a host-wide bulkhead. Get one with `resource()`. */
export class Resource extends GuardHandle<ResourceEvents> {
  #segment: Segment;
  readonly #tickets: Tickets;
  readonly #circuit: Circuit;
  readonly #options: Resolved;
  readonly #segmentName: string;
  readonly #fleet: FleetHost | undefined;
  #watchFailing = false;

  constructor(
    readonly name: string,
    options: Resolved,
  ) {
    super('breaker');
    this.#options = options;
    // A fleet host's segment carries its host id, so that several simulated hosts can share one machine.
    this.#segmentName = options.fleet ? `${name}@${options.fleet.options.hostId}` : name;
    this.#segment = openSegment(this.#segmentName, options.ipc);
    this.#tickets = new Tickets(this.#segment, options.tickets, options.quota);
    const shared = options.shareCircuit ? () => this.#segment.words : undefined;
    this.#circuit = new Circuit(
      name,
      options.circuit,
      shared,
      (state) => this.report('state', { resource: name, state, shared: options.shareCircuit }),
      () => this.#tickets.release(),
    );
    if (shared) this.#circuit.sync();
    this.#tickets.reclaim(); // a holder that died while no process watched
    this.cleanup.defer(() => this.#circuit.shutdown());
    this.cleanup.defer(() => this.#tickets.detach());
    this.cleanup.timer(unrefInterval(() => this.#watch(), WATCH_MS));
    this.#fleet = options.fleet && this.#joinFleet(options.fleet);
    if (shared) this.cleanup.timer(unrefInterval(() => this.#circuit.watch(), FOLLOW_MS));
  }

  #joinFleet({ plug, options }: NonNullable<Resolved['fleet']>): FleetHost {
    const words = () => this.#segment.words;
    const link = hostLink(this.name, options.hostId, this.#circuit, words, () => this.#tickets.hostLimit);
    const report = (event: 'fleet-degraded' | 'fleet-restored') => this.report(event, { resource: this.name, hostId: options.hostId });
    const fleet = new FleetHost(plug, options, link, words, report);
    fleet.tick();
    return fleet;
  }

  /** Tickets on the host (for `quota`, computed from the live workers now). */
  get tickets(): number {
    return this.#tickets.limit;
  }
  /** Tickets this process holds now. */
  get held(): number {
    return this.#tickets.held;
  }
  /** The circuit's state as this process sees it. */
  get state(): CircuitState {
    return this.#circuit.state;
  }
  /** Which shared-memory object backs the resource now: the SysV key and shmid, or the POSIX name and inode. */
  get ipc(): { readonly mode: IpcMode; readonly key: number | string; readonly id: number } {
    return { mode: this.#segment.ipc, key: this.#segment.key, id: this.#segment.id };
  }

  /**
   * Takes a ticket, runs `fn` through the circuit breaker, gives the ticket back. Rejects with
   * CircuitOpenError (ERR_CIRCUIT_OPEN) or BulkheadFullError (ERR_BULKHEAD_FULL) without calling `fn`.
   */
  run<T>(fn: () => T | Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(this.#closedError());
    let trial: boolean;
    try {
      trial = this.#circuit.admit();
    } catch (error) {
      if (error instanceof CircuitOpenError) this.report('rejected', { resource: this.name, cause: 'circuit-open' });
      return Promise.reject(error);
    }
    if (this.#tickets.tryAcquire()) return this.#circuit.fire(fn, trial);
    return this.#runAfterWait(fn, trial);
  }

  async #runAfterWait<T>(fn: () => T | Promise<T>, trial: boolean): Promise<T> {
    try {
      await this.#waitForTicket();
    } catch (error) {
      if (trial) this.#circuit.abandonTrial();
      if (error instanceof BulkheadFullError) this.report('rejected', { resource: this.name, cause: 'bulkhead-full' });
      throw error;
    }
    return this.#circuit.fire(fn, trial);
  }

  /**
   * Takes a ticket without waiting and without the circuit, for callers that cannot wrap their work
   * in `run()`. Give it back with `release()`.
   */
  tryAcquire(): boolean {
    return !this.closed && this.#tickets.tryAcquire();
  }

  /** Gives back a ticket taken with `tryAcquire()`. */
  release(): void {
    this.#tickets.release();
  }

  #closedError(): GuardClosedError {
    return new GuardClosedError('breaker', `resource ${this.name}`);
  }

  /** Stops watching, returns this process's tickets and slot to the host; a fleet agent hands its part over. */
  protected override teardown(): Promise<void> {
    if (registry.get(this.name)?.resource === this) registry.delete(this.name);
    const fleet = this.#fleet?.stop();
    super.teardown();
    return fleet ?? Promise.resolve();
  }

  // Polls: Atomics.wait cannot wait on shm-typed-array's plain ArrayBuffer, and must not block the loop.
  async #waitForTicket(): Promise<void> {
    const started = performance.now();
    const timeout = this.#options.acquireTimeoutMs;
    for (let pause = 1; ; pause = Math.min(pause * 2, 10)) {
      const left = timeout - (performance.now() - started);
      if (left <= 0) throw new BulkheadFullError(this.name, this.#tickets.limit, Math.round(performance.now() - started));
      await delay(Math.min(pause, left));
      if (this.closed) throw this.#closedError();
      if (this.#tickets.tryAcquire()) return;
    }
  }

  #watch(): void {
    try {
      if (this.#options.recreate && !this.#segment.stillThere()) this.#rejoin();
      for (const { pid, tickets } of this.#tickets.reclaim())
        if (tickets > 0) this.report('tickets-reclaimed', { resource: this.name, pid, tickets });
      this.#fleet?.tick();
      this.#watchFailing = false;
    } catch (error) {
      // Tried again next tick; said once per streak of failures, not every 250 ms.
      if (!this.#watchFailing)
        warnError('breaker', 'BULWARK_BREAKER_WATCH', `shared memory of ${this.name} could not be checked or re-joined`, error);
      this.#watchFailing = true;
    }
  }

  #rejoin(): void {
    const held = this.#tickets.held;
    this.#segment = openSegment(this.#segmentName, this.#options.ipc);
    this.#tickets.attach(this.#segment);
    this.#circuit.republish();
    this.report('ipc-recreated', {
      resource: this.name,
      ipc: this.#segment.ipc,
      created: this.#segment.created,
      reregisteredTickets: held,
    });
  }
}

/** Each open resource by name, with the checked options it was opened with. */
const registry = new Map<string, { resource: Resource; options: Resolved }>();

/** Options that shape the host's shared state: a second caller asking for others gets a warning. */
const SHAPING = ['tickets', 'quota', 'ipc', 'shareCircuit'] as const;

/**
 * The resource called `name` in this process, opened on first use (one per name, as Semian's
 * registry). Later calls check `options` too, return the same open resource and keep its options;
 * a later call asking for other tickets, quota, ipc or shareCircuit emits a BulwarkWarning.
 */
export function resource(name: string, options?: ResourceOptions): Resource {
  checkString('name', name, /^[\w.:@-]{1,200}$/);
  const resolved = resolveOptions(options);
  const open = registry.get(name);
  if (open && !open.resource.closed) {
    warnIfIgnored(name, open.options, resolved);
    return open.resource;
  }
  const created = new Resource(name, resolved);
  registry.set(name, { resource: created, options: resolved });
  return created;
}

/** Every resource open in this process now (for metrics that read `tickets`, `held` and `state`). */
export function openResources(): Resource[] {
  return [...registry.values()].map((entry) => entry.resource);
}

function warnIfIgnored(name: string, kept: Resolved, asked: Resolved): void {
  for (const option of SHAPING) {
    if (asked[option] === kept[option]) continue;
    warn(
      'breaker',
      'BULWARK_BREAKER_OPTION_IGNORED',
      `resource '${name}' is already open with ${option} ${String(kept[option])}: ${option} ${String(asked[option])} is ignored`,
    );
  }
}
