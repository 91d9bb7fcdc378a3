import { surfaceLater, unrefTimeout } from '@bulwark/core';

/** How a burst of signals turns into runs. */
export interface CoalesceTiming {
  /** Quiet time that ends a burst. */
  readonly coalesceMs: number;
  /** Longest wait from a burst's first signal to its run, so a steady stream still runs. */
  readonly maxDelayMs: number;
}

/** What a run is told: how many signals it absorbed and whether it was called directly. */
export interface RunRequest {
  readonly signals: number;
  /** `signal` after a burst, `call` through `reload()`, `rearm` when only a re-armed listener is owed a HUP. */
  readonly trigger: 'signal' | 'call' | 'rearm';
}

interface Caller<T> {
  readonly resolve: (result: T) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Turns signals into serialized runs: a burst becomes one run after `coalesceMs` of quiet (or
 * `maxDelayMs` after its first signal); signals during a run become exactly one more run after
 * it; two runs never overlap. Signal counts are only reported, never relied on: the kernel
 * merges pending standard signals.
 */
export class Coalescer<T> {
  #pending = 0;
  #rearm = false;
  #burstStartedAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<T> | undefined;
  #called: Array<Caller<T>> = [];
  #closed = false;

  constructor(
    private readonly timing: CoalesceTiming,
    private readonly run: (request: RunRequest) => Promise<T>,
  ) {}

  /** True while a run is in progress. */
  get running(): boolean {
    return this.#running !== undefined;
  }

  /** True when signals (or a wake) arrived that another run will answer. */
  get pending(): boolean {
    return this.#pending > 0 || this.#rearm;
  }

  /** Records one signal; the run it leads to starts once the burst is over. */
  signal(): void {
    if (this.#closed) return;
    this.#pending++;
    if (!this.#running) this.#schedule(Date.now());
  }

  /** Asks for a run that counts no signal (trigger `rearm`), scheduled as a signal is. */
  wake(): void {
    if (this.#closed) return;
    this.#rearm = true;
    if (!this.#running) this.#schedule(Date.now());
  }

  /** Runs now (after the current run, if any), absorbing pending signals; settles as that run does. */
  call(): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#called.push({ resolve, reject });
      if (!this.#running) this.#start();
    });
  }

  /** Stops scheduling runs; a run in progress finishes on its own. */
  close(): void {
    this.#closed = true;
    this.#clearTimer();
  }

  #schedule(now: number): void {
    if (this.#timer === undefined) {
      this.#burstStartedAt = now;
      // Background work: a pending reload must not hold a process open that is otherwise done.
      this.#timer = unrefTimeout(() => this.#fire(), this.timing.coalesceMs);
    } else if (now + this.timing.coalesceMs <= this.#burstStartedAt + this.timing.maxDelayMs) {
      this.#timer.refresh();
    }
    // Otherwise the armed timer stays: it fires before the burst's maxDelayMs cap.
  }

  // The timer is armed only while no run is in progress, and close() clears it.
  #fire(): void {
    this.#timer = undefined;
    this.#start();
  }

  /** Starts a run for what is waiting: a `call` when someone called, else the signals' burst. */
  #start(): void {
    this.#clearTimer();
    const signals = this.#pending;
    const called = this.#called;
    this.#pending = 0;
    this.#rearm = false;
    this.#called = [];
    const trigger = called.length > 0 ? 'call' : signals > 0 ? 'signal' : 'rearm';
    const running = (this.#running = this.#attempt({ signals, trigger }));
    // Settles both ways so that a failed run never stops later ones.
    void running.then(
      (result) => this.#settle(() => called.forEach((c) => c.resolve(result))),
      (error: unknown) => this.#settle(() => (called.length > 0 ? called.forEach((c) => c.reject(error)) : surfaceLater(error))),
    );
  }

  #attempt(request: RunRequest): Promise<T> {
    try {
      return this.run(request);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #settle(notify: () => void): void {
    this.#running = undefined;
    notify();
    this.#next();
  }

  #next(): void {
    if (this.#called.length > 0) this.#start();
    else if ((this.#pending > 0 || this.#rearm) && !this.#closed) this.#schedule(Date.now());
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
