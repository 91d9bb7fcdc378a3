import CircuitBreaker from 'opossum';
import { CircuitOpenError } from './errors.js';
import { H } from './layout.js';
import { isAlive } from './liveness.js';
import { callTimeoutMs } from './circuit-options.js';
import { TicketReturn } from './ticket-return.js';

export type CircuitState = 'open' | 'half-open' | 'closed';

export const now31 = (): number => Date.now() % 0x80000000;
export const since = (stamp: number): number => (now31() - stamp + 0x80000000) % 0x80000000;

/** The fleet gate's values (H.fleetGate). */
export const GATE = { none: 0, elsewhere: 1, here: 2 } as const;

/**
 * An opossum breaker, optionally with its state shared by every process of the host through the
 * segment: an open in one process opens it in all, and one process only sends the half-open trial.
 */
export class Circuit {
  readonly breaker: CircuitBreaker<[() => unknown], unknown>;
  #quiet = false;
  #seenEpoch = -1;
  #state: CircuitState = 'closed';
  readonly resetMs: number;
  /** How long a trial may stay unsettled before another process takes it over. */
  readonly trialMs: number;

  constructor(
    private readonly resource: string,
    options: CircuitBreaker.Options,
    private readonly shared: (() => Int32Array) | undefined,
    private readonly onState: (state: CircuitState) => void,
    release: () => void,
  ) {
    this.resetMs = options.resetTimeout ?? 30_000; // opossum's default
    this.trialMs = Math.max(this.resetMs, callTimeoutMs(options));
    const tickets = new TicketReturn(options, release);
    this.breaker = new CircuitBreaker(tickets.action, options);
    tickets.listen(this.breaker);
    this.breaker.on('open', () => this.#local('open'));
    this.breaker.on('halfOpen', () => this.#local('half-open'));
    this.breaker.on('close', () => this.#local('closed'));
  }

  get state(): CircuitState {
    return this.#state;
  }

  /** Throws CircuitOpenError when the call must not be sent; returns true for the host's half-open trial. */
  admit(): boolean {
    if (!this.shared) {
      this.#rejectIfOpen();
      return false;
    }
    const words = this.shared();
    if (Atomics.load(words, H.circuitState) === 0) {
      if (this.#state !== 'closed') this.sync();
      this.#rejectIfOpen();
      return false;
    }
    this.sync();
    if (since(Atomics.load(words, H.circuitOpenedAt)) < this.resetMs) throw new CircuitOpenError(this.resource);
    if (Atomics.load(words, H.fleetGate) === GATE.elsewhere) throw new CircuitOpenError(this.resource); // another host sends the fleet's trial
    if (!this.#takeTrial(words)) throw new CircuitOpenError(this.resource);
    this.#quietly(() => this.breaker.close()); // let opossum send this one call
    this.#report('half-open');
    return true;
  }

  /**
   * Takes the host's trial when none is out, or when the one out has not settled within the bound
   * (a hung call with opossum's `timeout: false` would otherwise keep the host's circuit open for good).
   */
  #takeTrial(words: Int32Array): boolean {
    const holder = Atomics.compareExchange(words, H.circuitTrial, 0, process.pid);
    if (holder !== 0) {
      const takenAt = Atomics.load(words, H.circuitTrialAt);
      if (takenAt === 0 || since(takenAt) < this.trialMs) return false;
      // Claim the takeover through the stamp, so that one process only takes it over.
      if (Atomics.compareExchange(words, H.circuitTrialAt, takenAt, 0) !== takenAt) return false;
      if (Atomics.compareExchange(words, H.circuitTrial, holder, process.pid) !== holder) return false;
      this.#seenEpoch = Atomics.add(words, H.circuitEpoch, 1) + 1; // the hung sender follows: open again
    }
    Atomics.store(words, H.circuitTrialAt, now31() || 1);
    return true;
  }

  /** Sends `fn` through opossum; a trial's outcome closes or re-opens the host's circuit. */
  fire<T>(fn: () => T | Promise<T>, trial: boolean): Promise<T> {
    const call = this.breaker.fire(fn) as Promise<T>;
    if (!trial) return call;
    return call.then(
      (result) => (this.#settle(true), result),
      (error: unknown) => {
        this.#settle(false);
        throw error;
      },
    );
  }

  /** opossum rejects exactly when it is neither closed nor letting its half-open call through. */
  #rejectIfOpen(): void {
    if (!this.breaker.closed && !this.breaker.pendingClose) throw new CircuitOpenError(this.resource);
  }

  /** Gives the trial back unsent (no ticket was free). */
  abandonTrial(): void {
    const words = this.shared!();
    if (Atomics.load(words, H.circuitTrial) === process.pid) this.#freeTrial(words, process.pid);
    this.#follow('open', () => this.breaker.open());
  }

  /** Follows the host's state and frees the trial of a dead sender: called on every tick. */
  watch(): void {
    if (!this.shared) return;
    const words = this.shared();
    const trial = Atomics.load(words, H.circuitTrial);
    if (trial !== 0 && trial !== process.pid && !isAlive(trial, 0)) {
      // The trial's sender died: let another process try after a fresh reset timeout.
      Atomics.store(words, H.circuitOpenedAt, now31());
      this.#freeTrial(words, trial);
    }
    this.sync();
  }

  /** Follows the host's state; costs two loads when nothing changed. */
  sync(): void {
    if (!this.shared) return;
    const words = this.shared();
    const epoch = Atomics.load(words, H.circuitEpoch);
    if (epoch === this.#seenEpoch) return;
    this.#seenEpoch = epoch;
    const open = Atomics.load(words, H.circuitState) === 1;
    const lostTrial = this.#state === 'half-open' && Atomics.load(words, H.circuitTrial) !== process.pid;
    if (open && (this.#state === 'closed' || lostTrial)) this.#follow('open', () => this.breaker.open());
    if (!open && this.#state !== 'closed') this.#follow('closed', () => this.breaker.close());
  }

  /** Writes this process's open circuit into a re-created segment. */
  republish(): void {
    this.#seenEpoch = -1;
    if (this.shared && this.#state !== 'closed') this.#publishOpen(this.shared());
  }

  shutdown(): void {
    this.breaker.shutdown();
    this.breaker.removeAllListeners();
  }

  #local(state: CircuitState): void {
    if (this.#quiet) return;
    if (this.shared && state === 'half-open') return; // only the host's trial sender is half-open
    if (this.shared && state === 'open') this.#publishOpen(this.shared());
    this.#report(state);
  }

  #publishOpen(words: Int32Array): void {
    const epoch = openHost(words);
    if (epoch !== undefined) this.#seenEpoch = epoch;
  }

  #settle(ok: boolean): void {
    const words = this.shared!();
    if (Atomics.load(words, H.circuitTrial) !== process.pid) return;
    if (ok) Atomics.store(words, H.circuitState, 0);
    else Atomics.store(words, H.circuitOpenedAt, now31());
    this.#freeTrial(words, process.pid);
    this.#seenEpoch = Atomics.add(words, H.circuitEpoch, 1) + 1;
    this.#follow(ok ? 'closed' : 'open', () => (ok ? this.breaker.close() : this.breaker.open()));
  }

  /** Clears the stamp first: a stale stamp must never make a newly taken trial look hung. */
  #freeTrial(words: Int32Array, holder: number): void {
    Atomics.store(words, H.circuitTrialAt, 0);
    Atomics.compareExchange(words, H.circuitTrial, holder, 0);
  }

  #follow(state: CircuitState, change: () => void): void {
    this.#quietly(change);
    this.#report(state);
  }

  #quietly(change: () => void): void {
    this.#quiet = true;
    try {
      change();
    } finally {
      this.#quiet = false;
    }
  }

  #report(state: CircuitState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.onState(state);
  }
}

/** Opens the host's shared circuit; returns the new epoch, or undefined when it was open already. */
export function openHost(words: Int32Array): number | undefined {
  if (Atomics.compareExchange(words, H.circuitState, 0, 1) !== 0) return undefined;
  Atomics.store(words, H.circuitOpenedAt, now31());
  return Atomics.add(words, H.circuitEpoch, 1) + 1;
}

/** Closes the host's shared circuit unless a trial is out (its outcome decides then); true when closed. */
export function closeHost(words: Int32Array): boolean {
  if (Atomics.load(words, H.circuitTrial) !== 0) return false;
  if (Atomics.compareExchange(words, H.circuitState, 1, 0) !== 1) return Atomics.load(words, H.circuitState) === 0;
  Atomics.add(words, H.circuitEpoch, 1);
  return true;
}
