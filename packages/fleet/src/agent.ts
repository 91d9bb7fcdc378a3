import { createHash } from 'node:crypto';
import type { FleetAgent, FleetGate, HostLink } from '@bulwark/breaker';
import { type Connection, connect } from './client.js';
import { fleetKeys } from './keys.js';
import type { Resolved } from './options.js';
import { SYNC_SCRIPT, type SyncReply, parseReply } from './sync-script.js';

const SHA = createHash('sha1').update(SYNC_SCRIPT).digest('hex');

/**
 * The fleet tier in the one process of a host that syncs with Redis. Every `syncMs` it sends one
 * script (so Redis traffic grows with hosts, never with calls) and writes the answer into the
 * host's shared memory, where every process's `run()` reads it with plain loads:
 * - the fleet circuit: open the host's circuit when the fleet opens, gate the half-open trial to
 *   the one host that holds the fleet's claim, close the host when the fleet closes;
 * - the lease: the host's share of the fleet's tickets, renewed each sync.
 * When Redis fails or is slow (no answer within max(250 ms, 3 syncs)), the host's circuit is its
 * own; its lease holds until it expires (a late answer still renews it), then the host runs on its
 * own tickets.
 */
export class FleetSync implements FleetAgent {
  readonly #connection: Connection;
  readonly #keys: string[];
  readonly #timer: NodeJS.Timeout;
  #sending: { readonly at: number; readonly seq: number } | undefined;
  #seq = 0;
  #fleetOpen = false;
  /** The host's circuit is open because the fleet opened it, not by its own failures. */
  #forced = false;
  #gate: FleetGate = 'none';
  #grantedAt = 0;
  #leaseUntil = 0;
  #synced = false;
  #stopped = false;
  readonly #startedAt: number;

  constructor(
    private readonly link: HostLink,
    private readonly options: Resolved,
  ) {
    this.#keys = fleetKeys(link.resource);
    this.#connection = connect(options.redis, options.leaseMs);
    this.#startedAt = Date.now();
    this.#timer = setTimeout(() => this.#tick(), options.syncMs).unref();
  }

  /** A sync that has not answered within this is a Redis too slow to follow. */
  get #timeoutMs(): number {
    return Math.max(250, this.options.syncMs * 3);
  }

  #tick(): void {
    if (this.#stopped) return;
    this.#timer.refresh(); // the next tick, syncMs from now
    if (this.#leaseUntil !== 0 && Date.now() >= this.#leaseUntil) {
      this.link.setLease(undefined); // no renewal for a whole lease: the host's own tickets only
      this.#leaseUntil = 0;
    }
    const sending = this.#sending;
    if (sending) {
      const age = Date.now() - sending.at;
      // Slow: the host's own circuit meanwhile, but a late answer still renews the lease.
      if (age >= this.#timeoutMs) this.#degrade();
      if (age < this.options.leaseMs) return;
      this.#seq++; // lost: a later answer no longer counts
    }
    if (this.#connection.client.status !== 'ready') {
      // A first connection gets a grace period; after that, no Redis is a degraded fleet.
      if (this.#seq > 0 || Date.now() - this.#startedAt > 1_000) this.#degrade();
      return;
    }
    const seq = ++this.#seq;
    const at = Date.now();
    this.#sending = { at, seq };
    this.#send()
      .then(
        (reply) => this.#seq === seq && this.#apply(reply, at),
        () => this.#seq === seq && this.#degrade(),
      )
      .finally(() => {
        if (this.#sending?.seq === seq) this.#sending = undefined;
      });
  }

  /** Reads the host, sends the sync script, parses its answer. */
  #send(): Promise<SyncReply> {
    const { link, options } = this;
    const view = link.view();
    if (!view.open) this.#forced = false;
    // An open host votes while the fleet is closed, unless the fleet itself opened it.
    const vote = this.#fleetOpen ? '' : view.open && !this.#forced ? '1' : '0';
    let outcome = '';
    if (this.#gate === 'here') {
      if (!view.open) outcome = 'ok';
      else if (!view.trialOut && view.openedAgoMs < Date.now() - this.#grantedAt) outcome = 'failed';
    }
    const args = [
      link.hostId,
      vote,
      view.tickets,
      view.used,
      options.tickets ?? 0,
      options.quorum,
      options.leaseMs,
      options.windowMs,
      link.resetMs,
      link.trialMs,
      this.#fleetOpen && this.#gate !== 'here' ? '1' : '0',
      outcome,
    ];
    const client = this.#connection.client;
    return client
      .evalsha(SHA, this.#keys.length, ...this.#keys, ...args)
      .catch((error: Error) => {
        if (!String(error?.message).startsWith('NOSCRIPT')) throw error;
        return client.eval(SYNC_SCRIPT, this.#keys.length, ...this.#keys, ...args);
      })
      .then(parseReply);
  }

  #apply(reply: SyncReply, sentAt: number): void {
    if (this.#stopped) return;
    const { link } = this;
    const wasOpen = this.#fleetOpen;
    this.#fleetOpen = reply.open;
    if (reply.open) {
      if (!link.view().open) {
        link.openCircuit();
        this.#forced = true;
      }
      if (reply.trial === 'here' && this.#gate !== 'here') this.#grantedAt = Date.now();
      this.#setGate(reply.trial === 'here' ? 'here' : 'elsewhere');
    } else {
      this.#setGate('none');
      if (wasOpen || this.#forced) this.#forced = !link.closeCircuit(); // the fleet's trial closed it
    }
    if (this.options.tickets !== undefined) {
      link.setLease(reply.lease);
      this.#leaseUntil = sentAt + this.options.leaseMs; // Redis counted it from later: never longer than Redis does
    }
    if (!this.#synced) link.setStatus('synced');
    this.#synced = true;
  }

  #setGate(gate: FleetGate): void {
    if (gate === this.#gate) return;
    this.#gate = gate;
    this.link.setGate(gate);
  }

  /** Redis out of reach or slow: the host's own circuit decides; the lease holds until it expires. */
  #degrade(): void {
    this.#setGate('none');
    if (this.#synced || this.#leaseUntil === 0) this.link.setStatus('degraded');
    this.#synced = false;
  }

  async stop(last: boolean): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    const { client, owned } = this.#connection;
    if (last) this.link.setLease(undefined);
    if (!owned) return;
    client.disconnect();
  }
}
