import { SharedMemoryError } from './errors.js';
import { H, S, SLOTS, slotBase } from './layout.js';
import { isAlive, ownStartTime } from './liveness.js';
import type { Segment } from './segment.js';

export interface Reclaimed {
  readonly pid: number;
  readonly tickets: number;
}

/**
 * The host-wide ticket count of one resource. `used` is the host's count; each process also
 * records what it holds in its own slot, tagged with its pid and start time, so that the tickets
 * of a dead holder can be taken back (what SEM_UNDO gives Semian). Admission compares `used` with
 * this process's own limit, so a corrupt count can starve callers but never admit too many.
 */
export class Tickets {
  #words!: Int32Array;
  #held = 0;
  #heldAt = 0;
  #slot = -1;
  #limit: number;
  #lastAudit = '';

  constructor(
    segment: Segment,
    fixed: number | undefined,
    private readonly quota: number | undefined,
  ) {
    this.#limit = fixed ?? 1;
    this.attach(segment);
  }

  /** Tickets this process holds now. */
  get held(): number {
    return this.#held;
  }
  /** The host-wide limit as this process computes it, within the host's fleet lease when it has one. */
  get limit(): number {
    return this.#effectiveLimit(this.#words);
  }
  /** The host's own limit, before any fleet lease. */
  get hostLimit(): number {
    return this.#limit;
  }

  /** Registers this process in `segment` with the tickets it holds (again, after a re-creation). */
  attach(segment: Segment): void {
    this.#words = segment.words;
    this.#slot = claimSlot(this.#words);
    this.#heldAt = slotBase(this.#slot) + S.held;
    Atomics.store(this.#words, this.#heldAt, this.#held);
    if (this.#held > 0) Atomics.add(this.#words, H.used, this.#held);
    this.#countWorkers();
  }

  /** Takes a ticket when one is free; never waits. */
  tryAcquire(): boolean {
    const words = this.#words;
    const limit = this.#effectiveLimit(words);
    for (;;) {
      const used = Atomics.load(words, H.used);
      if (used >= limit) return false;
      const next = used < 0 ? this.#sumHeld() + 1 : used + 1; // a negative count is corrupt: recount
      if (next > limit) return false;
      if (Atomics.compareExchange(words, H.used, used, next) === used) break;
    }
    // A plain store: only this process writes its slot, and a reclaimer reads it after this process died.
    words[this.#heldAt] = ++this.#held;
    return true;
  }

  /** Gives a ticket back; the host count never goes below zero. */
  release(): void {
    if (this.#held === 0) return;
    const words = this.#words;
    words[this.#heldAt] = --this.#held;
    if (Atomics.sub(words, H.used, 1) <= 0) Atomics.add(words, H.used, 1); // never below zero (only a corrupt count gets there)
  }

  /** Takes back the tickets of dead holders; heals a count that disagrees with the slots. */
  reclaim(): Reclaimed[] {
    const words = this.#words;
    const reclaimed: Reclaimed[] = [];
    for (let slot = 0; slot < SLOTS; slot++) {
      if (slot === this.#slot) continue;
      const base = slotBase(slot);
      const pid = Atomics.load(words, base + S.pid);
      if (pid <= 0 || isAlive(pid, Atomics.load(words, base + S.start))) continue;
      if (Atomics.compareExchange(words, base + S.pid, pid, -1) !== pid) continue; // another process took it
      reclaimed.push({ pid, tickets: freeSlot(words, base, clamp(Atomics.exchange(words, base + S.held, 0))) });
    }
    this.#countWorkers();
    this.#audit();
    return reclaimed;
  }

  /** Frees this process's slot and returns what it held to the host. */
  detach(): void {
    if (this.#slot < 0) return;
    Atomics.store(this.#words, this.#heldAt, 0);
    freeSlot(this.#words, slotBase(this.#slot), this.#held);
    this.#held = 0;
    this.#slot = -1;
  }

  /** One more load on the per-call path: the fleet lease the host's agent wrote, if any. */
  #effectiveLimit(words: Int32Array): number {
    const lease = Atomics.load(words, H.fleetLimit);
    return lease === 0 ? this.#limit : Math.min(this.#limit, lease - 1);
  }

  #countWorkers(): void {
    let workers = 0;
    for (let slot = 0; slot < SLOTS; slot++) if (Atomics.load(this.#words, slotBase(slot) + S.pid) > 0) workers++;
    if (this.quota !== undefined) this.#limit = Math.max(1, Math.ceil(Math.max(1, workers) * this.quota));
  }

  /** Sum of the holders' slots, each clamped to a sane range. */
  #sumHeld(): number {
    let sum = 0;
    for (let slot = 0; slot < SLOTS; slot++) {
      const base = slotBase(slot);
      if (Atomics.load(this.#words, base + S.pid) !== 0) sum += clamp(Atomics.load(this.#words, base + S.held));
    }
    return sum;
  }

  // A count that differs from the slots' sum twice in a row, unchanged, is corrupt or leaked: fix it.
  #audit(): void {
    const used = Atomics.load(this.#words, H.used);
    const sum = this.#sumHeld();
    const seen = `${used}/${sum}`;
    if (used !== sum && seen === this.#lastAudit) Atomics.compareExchange(this.#words, H.used, used, sum);
    this.#lastAudit = used === sum ? '' : seen;
  }
}

const MAX_PER_SLOT = 1 << 20;
const clamp = (n: number): number => (n < 0 ? 0 : n > MAX_PER_SLOT ? MAX_PER_SLOT : n);

function subtractFloor(words: Int32Array, n: number): void {
  if (n <= 0) return;
  for (;;) {
    const used = Atomics.load(words, H.used);
    const next = Math.max(0, used - n);
    if (Atomics.compareExchange(words, H.used, used, next) === used) return;
  }
}

/** Gives the `tickets` a slot held back to the host and frees the slot (its held word already zeroed); returns `tickets`. */
function freeSlot(words: Int32Array, base: number, tickets: number): number {
  subtractFloor(words, tickets);
  Atomics.store(words, base + S.start, 0);
  Atomics.store(words, base + S.pid, 0);
  return tickets;
}

function claimSlot(words: Int32Array): number {
  for (let slot = 0; slot < SLOTS; slot++) {
    const base = slotBase(slot);
    if (Atomics.compareExchange(words, base + S.pid, 0, process.pid) !== 0) continue;
    Atomics.store(words, base + S.held, 0);
    Atomics.store(words, base + S.start, ownStartTime());
    return slot;
  }
  throw new SharedMemoryError(`no free process slot in the segment (${SLOTS} processes registered)`);
}
