import { GuardClosedError, GuardHandle, warn, warnError } from '@bulwark/core';
import { Coalescer, type RunRequest } from './coalesce.js';
import { rollWorkers } from './cluster.js';
import { startDiscovery, foundWriters } from './discover.js';
import { ReloadTimeoutError } from './errors.js';
import { fileLinks, isRegularFile, writesWithoutAppend } from './fd.js';
import { LeakBudget, type LeakReport } from './leak-budget.js';
import { type HupOptions, type Reload, type ResolvedOptions, resolveOptions } from './options.js';
import {
  type Destination,
  type PinoTransport,
  ensureAppend,
  fileOf,
  isPinoTransport,
  registry,
  reopen,
  reopenMoved,
  subscribeRegistrations,
} from './reopen.js';
import { acquireReloadLock } from './reload-lock.js';
import { type StaleLog, findStale, warnStale } from './stale.js';
import { AppListeners, own } from './tame.js';
import { ThreadReopener } from './threads.js';

/** A reload that finished. */
export interface ReloadInfo {
  /** HUPs absorbed by this reload (the kernel merges pending ones, so this is a lower bound). */
  readonly signals: number;
  /** `signal` after a burst of HUPs, `call` through `guard.reload()`, `rearm` for an app listener that missed a HUP while it was removed. */
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
  /** A file still written to after a reload whose path names another file now (renamed or deleted). */
  'stale-log': StaleLog;
}

/** What `guard.reload()` resolves with: the reload's facts and whether it succeeded. */
export type ReloadOutcome = (ReloadInfo & { readonly ok: true }) | (ReloadErrorInfo & { readonly ok: false });

/** The SIGHUP guard. Create it with `onHup()`. */
export class HupGuard extends GuardHandle<HupEvents> {
  readonly #options: ResolvedOptions;
  readonly #coalescer: Coalescer<ReloadOutcome>;
  readonly #budget: LeakBudget | undefined;
  readonly #destinations: ReadonlySet<Destination>;
  readonly #threads: ThreadReopener;
  readonly #app: AppListeners | undefined;
  /** Each fd's file name after the previous reload: a later rename of it is a stale log. */
  #links: Map<number, string>;
  #reloads = 0;
  /** A reload that timed out and has not ended: the next one waits for it (reloads are serialized). */
  #overdue: Promise<unknown> | undefined;

  constructor(reload: Reload | undefined, options?: HupOptions) {
    super('hup');
    this.#options = resolveOptions(reload, options);
    this.#destinations = new Set(this.#options.reopen);
    this.#coalescer = new Coalescer(this.#options, (request) => this.#run(request));
    this.#budget = this.#options.leakBudget && new LeakBudget(this.#options.leakBudget);
    if (this.#options.adopt) {
      this.cleanup.defer(startDiscovery());
      const app = (this.#app = new AppListeners(() => this.#coalescer.wake()));
      this.cleanup.defer(() => app.close());
      warnStdioWithoutAppend();
    }
    // Installed now and kept until close(): a HUP must never find the process without a listener.
    this.cleanup.listen(
      process,
      'SIGHUP',
      own(() => {
        this.#app?.signalled();
        this.#coalescer.signal();
      }),
    );
    this.cleanup.defer(subscribeRegistrations());
    const threads = (this.#threads = new ThreadReopener());
    this.cleanup.defer(() => threads.close());
    this.cleanup.defer(() => this.#coalescer.close());
    this.cleanup.defer(() => this.#budget?.close());
    for (const destination of this.#destinations) void ensureAppend(destination).catch(warnNotAppend);
    this.#links = fileLinks();
  }

  /**
   * Runs one reload now (after the one in progress, if any), as a HUP burst would. Resolves with
   * its outcome, failed or not; rejects only with GuardClosedError after close().
   */
  reload(): Promise<ReloadOutcome> {
    if (this.closed) return Promise.reject(new GuardClosedError('hup', 'the HUP guard'));
    return this.#coalescer.call();
  }

  /** True while a reload is running. */
  get reloading(): boolean {
    return this.#coalescer.running;
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
    const durationMs = performance.now() - started;
    // After a burst of HUPs (a rotation), not a reload() call. A HUP that came during this reload is
    // a rotation still under way: the next reload checks.
    if (request.trigger !== 'call' && !this.#coalescer.pending) await this.#reportStale();
    const outcome = this.#finish({ signals: request.signals, trigger: request.trigger, durationMs, reopened, replaced, reloads }, failure);
    this.#checkLeaks();
    return outcome;
  }

  #finish(info: ReloadInfo, failure: { reason: ReloadErrorInfo['reason']; error: unknown } | undefined): ReloadOutcome {
    if (!failure) {
      this.report('reload', info);
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
    this.report('reload-error', payload);
    return { ...payload, ok: false };
  }

  /**
   * Reopens the destinations given and registered (every time), the writers found with `adopt`
   * whose path names another file now, and asks worker threads to do the same with theirs.
   * Resolves with how many were reopened; rejects with the first failure after trying them all.
   */
  async #reopenAll(): Promise<number> {
    const given = new Set([...this.#destinations, ...registry()]);
    const found = this.#options.adopt ? foundWriters().filter((w) => !given.has(w)) : [];
    const [results, moved, round] = await Promise.all([
      Promise.allSettled([...given].map((d) => reopen(d))),
      found.length > 0 ? reopenMoved(found) : 0,
      this.#threads.reopen(Math.min(this.#options.timeoutMs, threadWaitMs)),
    ]);
    let transports = 0;
    for (const d of given) {
      if (!isPinoTransport(d)) continue;
      transports++;
      if (!round.answered.has(d.worker.threadId)) warnTransportUnreached(d);
    }
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return given.size - transports + moved + round.reopened;
  }

  /** Warns about (and publishes) every file still written to after this reload whose path names another file. */
  async #reportStale(): Promise<void> {
    const known = new Map<number, string>();
    for (const writer of [...this.#destinations, ...registry(), ...(this.#options.adopt ? foundWriters() : [])]) {
      const file = fileOf(writer);
      if (file) known.set(file.fd, file.path);
    }
    const { stale, links } = await findStale(known, this.#links);
    this.#links = links;
    for (const log of stale) {
      // The name it was meant to have, so the next reload still sees it as stale.
      this.#links.set(log.fd, log.path);
      warnStale(log);
      this.report('stale-log', log);
    }
  }

  /**
   * Runs the app's reload and, with `adopt`, the app's own SIGHUP listeners (only those owed a
   * HUP for trigger `rearm`); one that times out and has not ended is kept in `#overdue`.
   */
  async #reloadWithTimeout({ signals, trigger }: RunRequest): Promise<void> {
    const reload = trigger === 'rearm' ? undefined : this.#options.reload;
    const app = this.#app?.adopting ? this.#app : undefined;
    if (!reload && !app) return;
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
      if (trigger !== 'call') timer.unref();
    });
    const attempt = Promise.resolve().then(async () => {
      if (reload) await reload(context);
      const errors = app ? await app.run(trigger === 'rearm') : [];
      if (errors.length > 0) throw errors[0];
    });
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
    for (const leak of this.#budget.afterReload()) this.report('reload-leak', leak);
  }
}

/** How long a reload waits for worker threads to answer its reopen request. */
const threadWaitMs = 2000;

const unreached = new WeakSet<object>();

function warnTransportUnreached(transport: PinoTransport): void {
  if (unreached.has(transport)) return;
  unreached.add(transport);
  warn(
    'hup',
    'BULWARK_HUP_TRANSPORT_UNREACHED',
    `the pino transport in worker thread ${transport.worker.threadId} did not reopen its file: bulwark is not loaded in that thread. Start node with BULWARK_HUP=1 --import bulwark/register (worker threads inherit it), or give the transport worker: { execArgv: [...process.execArgv, '--import', 'bulwark/register'] } with BULWARK_HUP=1`,
  );
}

function warnNotAppend(error: unknown): void {
  warnError('hup', 'BULWARK_HUP_NOT_APPEND', 'could not move a destination to append mode', error);
}

/** stdout or stderr redirected to a file with `>` (no O_APPEND): copytruncate leaves a hole of NUL bytes. */
function warnStdioWithoutAppend(): void {
  for (const [fd, name] of [
    [1, 'stdout'],
    [2, 'stderr'],
  ] as const) {
    if (!isRegularFile(fd) || !writesWithoutAppend(fd)) continue;
    warn(
      'hup',
      'BULWARK_HUP_NOT_APPEND',
      `${name} (fd ${fd}) is a regular file opened without O_APPEND (a shell '>' redirect?): after logrotate's copytruncate its next line leaves a hole of NUL bytes. Redirect with '>>', or rotate with create + HUP`,
    );
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
