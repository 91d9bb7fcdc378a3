import { processGlobal } from '@bulwark/core';

/**
 * The app's own `process.on('SIGHUP')` listeners, run inside the guard.
 *
 * While a guard adopts them, `process.emit('SIGHUP')` (which is how Node delivers the signal)
 * calls only the guards' own listeners; the app's listeners stay registered where the app put
 * them (`process.listeners('SIGHUP')` unchanged) and the adopting guard calls them once per
 * coalesced burst, under the reload lock, as Node would: `this` is `process`, the arguments are
 * `('SIGHUP', 1)`, `once` listeners are removed as they are called, all are called before any
 * returned promise is awaited. One guard adopts at a time (the oldest open one); when it closes,
 * the next one takes over, and with none left `process.emit` is Node's again.
 */

type Listener = ((...args: unknown[]) => unknown) & { listener?: Listener; [kOwn]?: true };
type Emit = NodeJS.Process['emit'];

/** Marks a guard's own SIGHUP listener: the only ones a HUP reaches directly while adopted. */
export const kOwn = Symbol.for('bulwark.hup.own');

interface TameState {
  /** Adopting guards, oldest first; the first one runs the app's listeners. */
  readonly adopters: AppListeners[];
  original: Emit | undefined;
  patched: Emit | undefined;
}

const state = () => processGlobal<TameState>('hup.tame', () => ({ adopters: [], original: undefined, patched: undefined }));

const SIGHUP_NUMBER = 1;

/** Marks `listener` as a guard's own. */
export function own<F extends (...args: never[]) => unknown>(listener: F): F {
  (listener as unknown as Listener)[kOwn] = true;
  return listener;
}

const unwrap = (l: Listener): Listener => l.listener ?? l;
const appListeners = () => (process.rawListeners('SIGHUP') as Listener[]).filter((l) => !l[kOwn]);

/**
 * One guard's view of the app's SIGHUP listeners. A listener that removes itself when called is
 * `disarmed`. A HUP that arrives while one is disarmed is owed: the next listener the app adds
 * (its re-arm, usually a new closure) gets it, through `wake` (trigger `rearm`), as soon as it is added.
 */
export class AppListeners {
  /** Called listeners that removed themselves and were not added back. */
  readonly #disarmed = new Set<Listener>();
  /** True when a HUP came while a listener was disarmed. */
  #owed = false;
  /** Listeners added since, each owed that HUP. */
  readonly #owedTo = new Set<Listener>();
  /** True while a listener's synchronous part runs; what it adds then is its own re-arm. */
  #calling = false;
  #addedWhileCalling = 0;
  readonly #onNewListener = (event: string | symbol, listener: Listener) => {
    if (event !== 'SIGHUP' || listener[kOwn] || !this.adopting) return;
    if (this.#calling) return void this.#addedWhileCalling++;
    // A re-arm: the same function back, or else a new one in place of one disarmed.
    const rearmed = this.#disarmed.has(listener) ? listener : this.#disarmed.values().next().value;
    if (rearmed) this.#disarmed.delete(rearmed);
    if (!this.#owed) return;
    this.#owedTo.add(listener);
    if (this.#disarmed.size === 0) this.#owed = false;
    this.wake();
  };

  constructor(private readonly wake: () => void) {
    const s = state();
    s.adopters.push(this);
    if (s.patched === undefined || process.emit !== s.patched) patchEmit(s);
    process.on('newListener', this.#onNewListener);
  }

  /** True for the guard that runs the app's listeners. */
  get adopting(): boolean {
    return state().adopters[0] === this;
  }

  /** A HUP arrived: every disarmed listener is owed one. */
  signalled(): void {
    if (this.adopting && this.#disarmed.size > 0) this.#owed = true;
  }

  /**
   * Calls the app's listeners (all of them, or with `owedOnly` those owed a HUP) as Node's emit
   * would, then awaits what they returned. Resolves with the errors they threw or rejected with.
   */
  async run(owedOnly: boolean): Promise<unknown[]> {
    if (!this.adopting) return [];
    const chosen = appListeners().filter((l) => !owedOnly || this.#owedTo.has(unwrap(l)));
    const errors: unknown[] = [];
    const pending: Array<PromiseLike<unknown>> = [];
    for (const listener of chosen) {
      const original = unwrap(listener);
      this.#owedTo.delete(original);
      this.#calling = true;
      this.#addedWhileCalling = 0;
      try {
        const result = listener.call(process, 'SIGHUP', SIGHUP_NUMBER);
        if (isThenable(result)) pending.push(result);
      } catch (error) {
        errors.push(error);
      } finally {
        this.#calling = false;
      }
      // Removed and not re-armed within its own call: disarmed until it is added again.
      if (this.#addedWhileCalling === 0 && !process.listeners('SIGHUP').includes(original)) this.#disarmed.add(original);
    }
    for (const outcome of await Promise.allSettled(pending)) if (outcome.status === 'rejected') errors.push(outcome.reason);
    const present = new Set(process.listeners('SIGHUP'));
    for (const listener of this.#disarmed) if (present.has(listener)) this.#disarmed.delete(listener);
    return errors;
  }

  /** Stops adopting; the next guard (if any) takes over, else `process.emit` is Node's again. */
  close(): void {
    process.off('newListener', this.#onNewListener);
    const s = state();
    const at = s.adopters.indexOf(this);
    if (at >= 0) s.adopters.splice(at, 1);
    if (s.adopters.length > 0) return;
    if (process.emit === s.patched && s.original) process.emit = s.original;
    s.original = s.patched = undefined;
  }
}

function patchEmit(s: TameState): void {
  const original = process.emit;
  const patched = function (this: NodeJS.Process, event: string | symbol, ...args: unknown[]): boolean {
    if (event !== 'SIGHUP' || s.adopters.length === 0) return (original as (...a: unknown[]) => boolean).call(this, event, ...args);
    const mine = (process.rawListeners('SIGHUP') as Listener[]).filter((l) => l[kOwn]);
    for (const listener of mine) listener.call(this, ...args);
    return mine.length > 0;
  } as Emit;
  s.original = original;
  s.patched = patched;
  process.emit = patched;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}
