import { Cleanup, GuardEmitter, type Guard } from '@bulwark/core';
import { Coalescer, type RunRequest, rethrow } from './coalesce.js';
import { rollWorkers } from './cluster.js';
import { GuardClosedError, ReloadTimeoutError } from './errors.js';
import { LeakBudget, type LeakReport } from './leak-budget.js';
import { type HupOptions, type Reload, type ResolvedOptions, resolveOptions } from './options.js';
import { type Destination, registry, reopen, subscribeRegistrations } from './reopen.js';
import { acquireReloadLock } from './reload-lock.js';

/** A reload that finished. */
export interface ReloadInfo {
  /** HUPs absorbed by this reload (the kernel merges pending ones, so this is a lower bound). */
  readonly signals: number;
  /** `signal` after a burst of HUPs, `call` through `guard.reload()`. */
  readonly trigger: RunRequest['trigger'];
  readonly durationMs: number;
  /** Destinations reopened. */
  readonly reopened: number;
  /** Cluster workers replaced (with `cluster: 'rolling'`). */
  readonly replaced: number;
  /** Reloads this guard has run, this one included. */
  readonly reloads: number;
}

/** A reload that failed; the service keeps running on what it had. */
export interface ReloadErrorInfo extends ReloadInfo {
  /** `threw`, `timeout`, `reopen` (a destination failed to reopen) or `roll` (cluster). */
  readonly reason: 'threw' | 'timeout' | 'reopen' | 'roll';
  readonly errorName: string;
  readonly errorCode: string | null;
  readonly message: string;
}

export interface HupEvents {
  reload: ReloadInfo;
  'reload-error': ReloadErrorInfo;
  'reload-leak': LeakReport;
}

/** What `guard.reload()` resolves with: the reload's facts and whether it succeeded. */
export type ReloadOutcome = (ReloadInfo & { readonly ok: true }) | (ReloadErrorInfo & { readonly ok: false });


/** The SIGHUP guard. Create it with `onHup()`. */
export class HupGuard extends GuardEmitter<HupEvents> implements Guard {
  readonly #options: ResolvedOptions;
  readonly #cleanup = new Cleanup();
  readonly #coalescer: Coalescer<ReloadOutcome>;
  readonly #budget: LeakBudget | undefined;
  readonly #destinations: ReadonlySet<Destination>;
  #reloads = 0;
  /** A reload that timed out and has not ended: the next one waits for it (reloads are serialized). */
  #overdue: Promise<unknown> | undefined;

  constructor(reload: Reload | undefined, options?: HupOptions) {
    super('hup');
    this.#options = resolveOptions(reload, options);
    this.#destinations = new Set(this.#options.reopen);
    this.#coalescer = new Coalescer(this.#options, (request) => this.#run(request));
    this.#budget = this.#options.leakBudget && new LeakBudget(this.#options.leakBudget);
    // Installed now and kept until close(): a HUP must never find the process without a listener.
    this.#cleanup.listen(process, 'SIGHUP', () => this.#coalescer.signal());
    this.#cleanup.defer(subscribeRegistrations());
    this.#cleanup.defer(() => this.#coalescer.close());
    this.#cleanup.defer(() => this.#budget?.close());
  }

  /**
   * Runs one reload now (after the one in progress, if any), as a HUP burst would. Resolves with
   * its outcome, failed or not; rejects only with GuardClosedError after close().
   */
  reload(): Promise<ReloadOutcome> {
    if (this.#cleanup.done) return Promise.reject(new GuardClosedError());
    return this.#coalescer.call();
  }

  /** True while a reload is running. */
  get reloading(): boolean {
    return this.#coalescer.running;
  }

  /** Removes the SIGHUP listener and stops scheduling reloads; idempotent. */
  close(): Promise<void> {
    this.#cleanup.run();
    return Promise.resolve();
  }

  [Symbol.dispose](): void {
    void this.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #run(request: RunRequest): Promise<ReloadOutcome> {
    // Never two reloads at once in this process, across guards, even when one outlived its timeout.
    const release = await acquireReloadLock();
    try {
      return await this.#reloadOnce(request);
    } finally {
      release(this.#overdue);
      this.#overdue = undefined;
    }
  }

  async #reloadOnce(request: RunRequest): Promise<ReloadOutcome> {
    const started = performance.now();
    const reloads = ++this.#reloads;
    let reopened = 0;
    let replaced = 0;
    let failure: { reason: ReloadErrorInfo['reason']; error: unknown } | undefined;
    try {
      reopened = await this.#reopenAll();
    } catch (error) {
      failure = { reason: 'reopen', error };
    }
    let reloaded = false;
    try {
      await this.#reloadWithTimeout(request);
      reloaded = true;
    } catch (error) {
      failure = { reason: error instanceof ReloadTimeoutError ? 'timeout' : 'threw', error };
    }
    // Workers are replaced only once the app's own reload succeeded.
    if (this.#options.rolling && reloaded) {
      try {
        replaced = await rollWorkers(this.#options.timeoutMs);
      } catch (error) {
        failure = { reason: 'roll', error };
      }
    }
    const info = { signals: request.signals, trigger: request.trigger, durationMs: performance.now() - started, reopened, replaced, reloads };
    const outcome = this.#finish(info, failure);
    this.#checkLeaks();
    return outcome;
  }

  /** Emits like report(), but a throwing listener cannot break a reload's bookkeeping: its error is rethrown on the next tick. */
  #tell<K extends keyof HupEvents & string>(event: K, payload: HupEvents[K]): void {
    try {
      this.report(event, payload);
    } catch (error) {
      rethrow(error);
    }
  }

  #finish(info: ReloadInfo, failure: { reason: ReloadErrorInfo['reason']; error: unknown } | undefined): ReloadOutcome {
    if (!failure) {
      this.#tell('reload', info);
      return { ...info, ok: true };
    }
    const error = failure.error as { name?: unknown; code?: unknown; message?: unknown } | undefined;
    const payload: ReloadErrorInfo = {
      ...info,
      reason: failure.reason,
      errorName: typeof error?.name === 'string' ? error.name : typeof error,
      errorCode: typeof error?.code === 'string' ? error.code : null,
      message: typeof error?.message === 'string' ? error.message : String(error),
    };
    this.#tell('reload-error', payload);
    return { ...payload, ok: false };
  }

  async #reopenAll(): Promise<number> {
    const shared = registry();
    if (this.#destinations.size === 0 && shared.size === 0) return 0;
    const all = new Set([...this.#destinations, ...shared]);
    const results = await Promise.allSettled([...all].map((d) => reopen(d)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return all.size;
  }

  /** Runs the app's reload; one that times out and has not ended is kept in `#overdue`. */
  async #reloadWithTimeout({ signals, trigger }: RunRequest): Promise<void> {
    const reload = this.#options.reload;
    if (!reload) return;
    // Made on first use: an AbortController costs more than the rest of a reload's bookkeeping.
    let aborter: AbortController | undefined;
    const context = {
      signals,
      get signal() {
        return (aborter ??= new AbortController()).signal;
      },
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ReloadTimeoutError(this.#options.timeoutMs)), this.#options.timeoutMs);
      // Ref'd while a caller awaits guard.reload(), so its promise settles; background otherwise.
      if (trigger === 'signal') timer.unref();
    });
    const attempt = Promise.resolve().then(() => reload(context));
    try {
      await Promise.race([attempt, timeout]);
    } catch (error) {
      if (error instanceof ReloadTimeoutError) {
        aborter?.abort(error);
        this.#overdue = attempt;
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  #checkLeaks(): void {
    if (!this.#budget) return;
    try {
      for (const leak of this.#budget.afterReload()) this.#tell('reload-leak', leak);
    } catch (error) {
      rethrow(error);
    }
  }
}

/**
 * Guards the process against SIGHUP: the listener is installed at once and kept, a burst of HUPs
 * becomes one reload after `coalesceMs` of quiet, HUPs during a reload cause exactly one more,
 * reloads never overlap, and a failing or hung reload is reported while the service runs on.
 */
export function onHup(reload?: Reload, options?: HupOptions): HupGuard {
  return new HupGuard(reload, options);
}
