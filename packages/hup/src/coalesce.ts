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
  readonly trigger: 'signal' | 'call';
}

/**
 * Turns signals into serialized runs: a burst becomes one run after `coalesceMs` of quiet (or
 * `maxDelayMs` after its first signal); signals during a run become exactly one more run after
 * it; two runs never overlap. Signal counts are only reported, never relied on: the kernel
 * merges pending standard signals.
 */
export class Coalescer<T> {
  #pending = 0;
  #burstStartedAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<T> | undefined;
  #called: Array<(result: T) => void> = [];
  #closed = false;

  constructor(
    private readonly timing: CoalesceTiming,
    private readonly run: (request: RunRequest) => Promise<T>,
  ) {}

  /** True while a run is in progress. */
  get running(): boolean {
    return this.#running !== undefined;
  }

  /** Records one signal; the run it leads to starts once the burst is over. */
  signal(): void {
    if (this.#closed) return;
    this.#pending++;
    if (!this.#running) this.#schedule(Date.now());
  }

  /** Runs now (after the current run, if any), absorbing pending signals; resolves with its result. */
  call(): Promise<T> {
    return new Promise<T>((resolve) => {
      this.#called.push(resolve);
      if (!this.#running) this.#start('call');
    });
  }

  /** Stops scheduling runs; a run in progress finishes on its own. */
  close(): void {
    this.#closed = true;
    this.#clearTimer();
  }

  #schedule(now: number): void {
    if (this.#timer === undefined) this.#burstStartedAt = now;
    const due = Math.min(now + this.timing.coalesceMs, this.#burstStartedAt + this.timing.maxDelayMs);
    this.#clearTimer(false);
    // Background work: a pending reload must not hold a process open that is otherwise done.
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, due - now)).unref();
  }

  #fire(): void {
    this.#timer = undefined;
    if (!this.#closed && !this.#running) this.#start('signal');
  }

  #start(trigger: RunRequest['trigger']): void {
    this.#clearTimer();
    const signals = this.#pending;
    const called = this.#called;
    this.#pending = 0;
    this.#called = [];
    const running = (this.#running = this.run({ signals, trigger: called.length > 0 ? 'call' : trigger }));
    void running.then((result) => {
      this.#running = undefined;
      for (const resolve of called) resolve(result);
      this.#next();
    });
  }

  #next(): void {
    if (this.#called.length > 0) this.#start('call');
    else if (this.#pending > 0 && !this.#closed) this.#schedule(Date.now());
  }

  #clearTimer(forget = true): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (forget) this.#timer = undefined;
  }
}
