// Word offsets of a resource's segment (an Int32Array). The header is checked before anything is trusted.

/** 'BWK1' */
const MAGIC = 0x42574b31;
const VERSION = 1;
/** Process slots per resource and host: one per registered worker. */
export const SLOTS = 256;
const SLOT_WORDS = 4;
const HEADER_WORDS = 32;
export const WORDS = HEADER_WORDS + SLOTS * SLOT_WORDS;

export const H = {
  magic: 0,
  version: 1,
  words: 2,
  nameHash: 3,
  /** Tickets taken on the host. */
  used: 8,
  /** 0 closed, 1 open. */
  circuitState: 12,
  /** Bumped on every shared open, re-open and close. */
  circuitEpoch: 13,
  /** Date.now() modulo 2^31 when the circuit last opened. */
  circuitOpenedAt: 14,
  /** Pid of the process sending the half-open trial, 0 when none. */
  circuitTrial: 15,
  /** Date.now() modulo 2^31 (never 0) when the trial was taken; 0 while none is or it is being taken. */
  circuitTrialAt: 16,
  // The fleet tier's words (@bulwark/fleet); all 0 on a host without one.
  /** The host's fleet lease plus one; 0 when no lease applies (no fleet, or Redis out of reach for a lease). */
  fleetLimit: 17,
  /** 0 no fleet gate, 1 the fleet is open and its trial belongs to another host, 2 the fleet's trial is this host's. */
  fleetGate: 18,
  /** 0 not synced yet, 1 in sync with Redis, 2 degraded (Redis out of reach: host-wide guards only). */
  fleetStatus: 19,
  /** Pid and start time of the one process of the host that syncs with Redis (the host's fleet agent). */
  fleetAgent: 20,
  fleetAgentStart: 21,
} as const;

/** Slot fields, relative to a slot's first word. */
export const S = {
  /** 0 free, -1 being reclaimed, otherwise the holder's pid. */
  pid: 0,
  /** Low 31 bits of the holder's start time (clock ticks since boot), to tell a reused pid apart. */
  start: 1,
  held: 2,
} as const;

export const slotBase = (slot: number): number => HEADER_WORDS + slot * SLOT_WORDS;

/** FNV-1a, 32 bits, as a positive 31-bit integer (never 0: SysV key 0 is IPC_PRIVATE). */
export function hash31(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 1 || 1;
}

export type HeaderCheck = 'ok' | 'initializing' | 'bad' | 'foreign';

/** Whether `words` holds a valid header for the resource whose name hashes to `nameHash`. */
export function checkHeader(words: Int32Array, nameHash: number): HeaderCheck {
  if (words.length !== WORDS) return 'bad';
  const magic = Atomics.load(words, H.magic);
  if (magic === 0) return 'initializing';
  if (magic !== MAGIC || words[H.version] !== VERSION || words[H.words] !== WORDS) return 'bad';
  return words[H.nameHash] === nameHash ? 'ok' : 'foreign';
}

/** Fills a fresh segment's header; the magic goes last so that a reader never trusts a half-written one. */
export function writeHeader(words: Int32Array, nameHash: number): void {
  words.fill(0);
  words[H.version] = VERSION;
  words[H.words] = WORDS;
  words[H.nameHash] = nameHash;
  Atomics.store(words, H.magic, MAGIC);
}
