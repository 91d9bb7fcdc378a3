// One watched thread's shared memory: written by that thread before a stall, read by the watchdog
// thread during it (the writer is stuck then, so the reader sees what was there when it stopped).
//
// bytes 0-7    beat time (epoch ms, BigInt64)       8   beat count      12  wake wanted
//       16     answered HTTP requests               20  state length    24  overflowed requests
//       28     GC pauses recorded
//       64-    request slots: 8 startedAt, 4 length, 116 bytes of "METHOD /route"
//       then   the app's state as JSON
//       then   GC pause slots, a ring: 8 start (epoch ms, Float64), 8 duration (ms, Float64)

const headerBytes = 64;
const slotBytes = 128;
const textBytes = slotBytes - 12;
/** In-flight requests kept; more at once are counted, not named. */
export const requestSlots = 32;
const stateBytes = 2048;
const stateOffset = headerBytes + requestSlots * slotBytes;
/** GC pauses kept: the latest ones. */
const gcSlots = 64;
const gcOffset = stateOffset + stateBytes;
export const sharedBytes = gcOffset + gcSlots * 16;

const enum Cell {
  beatCount = 2,
  wakeWanted = 3,
  answered = 4,
  stateLength = 5,
  overflow = 6,
  gcPauses = 7,
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A request the thread had not answered when it stalled: method and path, never query or headers. */
export interface InFlightRequest {
  readonly method: string;
  readonly route: string;
  /** How long it had been in flight when the report was taken. */
  readonly ms: number;
}

/** The garbage collection inside a stall: how many pauses, how long in all, the longest. */
export interface GcTime {
  readonly pauses: number;
  readonly ms: number;
  readonly longestMs: number;
}

/** The writer's side, on the watched thread. */
export class SharedWriter {
  readonly #time: BigInt64Array;
  readonly #cells: Int32Array;
  readonly #bytes: Uint8Array;
  readonly #slotTimes: BigInt64Array;
  readonly #gc: Float64Array;
  readonly #free: number[] = Array.from({ length: requestSlots }, (_, i) => requestSlots - 1 - i);

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly wake: Int32Array,
  ) {
    this.#time = new BigInt64Array(buffer, 0, 1);
    this.#cells = new Int32Array(buffer, 0, headerBytes / 4);
    this.#bytes = new Uint8Array(buffer);
    this.#slotTimes = new BigInt64Array(buffer);
    this.#gc = new Float64Array(buffer, gcOffset, gcSlots * 2);
  }

  beat(): void {
    Atomics.store(this.#time, 0, BigInt(Date.now()));
    Atomics.add(this.#cells, Cell.beatCount, 1);
    // The watchdog thread asks for a wake-up only while it waits for this thread to come back.
    if (Atomics.load(this.#cells, Cell.wakeWanted) !== 0) {
      Atomics.add(this.wake, 0, 1);
      Atomics.notify(this.wake, 0);
    }
  }

  answered(): void {
    Atomics.add(this.#cells, Cell.answered, 1);
  }

  /** Takes a slot for a request; -1 when all are taken (it is then only counted). */
  start(method: string, route: string): number {
    const slot = this.#free.pop();
    if (slot === undefined) {
      Atomics.add(this.#cells, Cell.overflow, 1);
      return -1;
    }
    const offset = headerBytes + slot * slotBytes;
    const { written } = encoder.encodeInto(`${method} ${route}`, this.#bytes.subarray(offset + 12, offset + slotBytes));
    new DataView(this.buffer).setInt32(offset + 8, written, true);
    Atomics.store(this.#slotTimes, offset / 8, BigInt(Date.now()));
    return slot;
  }

  end(slot: number): void {
    if (slot === -1) return void Atomics.sub(this.#cells, Cell.overflow, 1);
    Atomics.store(this.#slotTimes, (headerBytes + slot * slotBytes) / 8, 0n);
    this.#free.push(slot);
  }

  /** Records a GC pause (the oldest of the ring makes room). */
  gcPause(startedAt: number, ms: number): void {
    const slot = Atomics.load(this.#cells, Cell.gcPauses) % gcSlots;
    this.#gc[slot * 2] = startedAt;
    this.#gc[slot * 2 + 1] = ms;
    Atomics.add(this.#cells, Cell.gcPauses, 1);
  }

  /** Stores `state` as JSON; what does not fit in 2 KB is replaced by a note saying so. */
  setState(state: unknown): void {
    let text = state === undefined ? '' : JSON.stringify(state);
    if (encoder.encode(text).length > stateBytes) text = JSON.stringify({ truncated: `state larger than ${stateBytes} bytes` });
    const { written } = encoder.encodeInto(text, this.#bytes.subarray(stateOffset, stateOffset + stateBytes));
    Atomics.store(this.#cells, Cell.stateLength, written);
  }
}

/** The watchdog thread's side. */
export class SharedReader {
  readonly #time: BigInt64Array;
  readonly #cells: Int32Array;
  readonly #bytes: Uint8Array;
  readonly #slotTimes: BigInt64Array;
  readonly #gc: Float64Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.#time = new BigInt64Array(buffer, 0, 1);
    this.#cells = new Int32Array(buffer, 0, headerBytes / 4);
    this.#bytes = new Uint8Array(buffer);
    this.#slotTimes = new BigInt64Array(buffer);
    this.#gc = new Float64Array(buffer, gcOffset, gcSlots * 2);
  }

  /** The recorded GC pauses, as far as they fell between `from` and `to` (epoch ms). */
  gcTime(from: number, to: number): GcTime | undefined {
    const count = Atomics.load(this.#cells, Cell.gcPauses);
    let pauses = 0;
    let ms = 0;
    let longestMs = 0;
    for (let i = Math.max(0, count - gcSlots); i < count; i++) {
      const slot = i % gcSlots;
      const start = this.#gc[slot * 2]!;
      const inside = Math.min(to, start + this.#gc[slot * 2 + 1]!) - Math.max(from, start);
      if (inside <= 0) continue;
      pauses++;
      ms += inside;
      longestMs = Math.max(longestMs, inside);
    }
    return pauses === 0 ? undefined : { pauses, ms: Math.round(ms), longestMs: Math.round(longestMs) };
  }

  lastBeat(): number {
    return Number(Atomics.load(this.#time, 0));
  }

  beats(): number {
    return Atomics.load(this.#cells, Cell.beatCount);
  }

  wantWake(on: boolean): void {
    Atomics.store(this.#cells, Cell.wakeWanted, on ? 1 : 0);
  }

  answered(): number {
    return Atomics.load(this.#cells, Cell.answered);
  }

  /** The requests in flight, oldest first, and how many more there were than slots. */
  requests(now = Date.now()): { requests: InFlightRequest[]; more: number } {
    const requests: InFlightRequest[] = [];
    for (let slot = 0; slot < requestSlots; slot++) {
      const offset = headerBytes + slot * slotBytes;
      const started = Number(Atomics.load(this.#slotTimes, offset / 8));
      if (started === 0) continue;
      const length = Math.min(textBytes, new DataView(this.buffer).getInt32(offset + 8, true));
      const text = decoder.decode(this.#bytes.slice(offset + 12, offset + 12 + length));
      const space = text.indexOf(' ');
      requests.push({ method: text.slice(0, space), route: text.slice(space + 1), ms: now - started });
    }
    return { requests: requests.sort((a, b) => b.ms - a.ms), more: Math.max(0, Atomics.load(this.#cells, Cell.overflow)) };
  }

  state(): unknown {
    const length = Atomics.load(this.#cells, Cell.stateLength);
    if (length === 0) return undefined;
    const text = decoder.decode(this.#bytes.slice(stateOffset, stateOffset + length));
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return { unreadable: 'state was being written when the thread stalled' };
    }
  }
}
