import diagnostics_channel from 'node:diagnostics_channel';
import { Server as HttpServer } from 'node:http';
import { Server as HttpsServer } from 'node:https';
import type { Server } from 'node:net';
import { Worker, isMainThread, threadId } from 'node:worker_threads';
import { GuardHandle, notify, warn } from '@bulwark/core';
import { NotMainThreadError } from './errors.js';
import { type ResolvedOptions, type WatchdogOptions, resolveOptions } from './options.js';
import type { FromWorker, ProbeTarget, RecoverEvent, StallEvent, ToWorker, WorkerConfig } from './protocol.js';
import { targetFromServer, targetFromSocket, targetFromUrl } from './target.js';
import { ThreadBeacon, currentTid } from './thread.js';

// Published by net.Server#listen once the server accepts connections (Node 22.3; on 20.20 here).
// The first request's channel (every Node 20) is the fallback for a Node without it.
const listenChannels = ['tracing:net.server.listen:asyncEnd', 'http.server.request.start'];

/** The signal the kick sends. Its default action is to ignore, so a late one never kills. */
export const kickSignal = 'SIGURG';

export interface WatchdogEvents {
  stall: StallEvent;
  recover: RecoverEvent;
}

// The watchdog thread runs a few KB of its own code: a small heap is plenty, and RSS is what the app pays.
const resourceLimits = { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2, codeRangeSizeMb: 8, stackSizeMb: 1 };

/** A running watchdog: `stall` and `recover` events, `setState()`, and `close()`. */
export class Watchdog extends GuardHandle<WatchdogEvents> {
  readonly #worker: Worker;
  readonly #beacon: ThreadBeacon;
  readonly #exited: Promise<void>;
  readonly #probePath: string;

  constructor(options: ResolvedOptions) {
    super('watchdog');
    const wake = new SharedArrayBuffer(4);
    this.#beacon = new ThreadBeacon(options.pollMs, new Int32Array(wake));
    this.cleanup.defer(() => this.#beacon.stop());
    if (options.kick) this.cleanup.listen(process, kickSignal, noop);
    this.#worker = new Worker(new URL('./worker.js', import.meta.url), {
      workerData: workerConfig(options, this.#beacon.shared.buffer, wake),
      // The watchdog thread must not run --import/--require preloads (they would start another watchdog).
      execArgv: [],
      stdout: false,
      stderr: false,
      resourceLimits,
    });
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
    this.cleanup.listen(this.#worker, 'message', (message: FromWorker) => this.#onMessage(message, options));
    // A guard must not crash the app it guards: a failing watchdog thread is a warning.
    this.cleanup.listen(this.#worker, 'error', (error: Error) =>
      warn('watchdog', 'BULWARK_WATCHDOG_THREAD_FAILED', `watchdog thread failed: ${error.message}`),
    );
    // After the listeners: adding a 'message' listener refs the worker's port again.
    this.#worker.unref();
    this.#probePath = options.probe?.path ?? '/';
    const server = options.probe?.server;
    if (server === 'first') this.#probeFirstServer();
    else if (server) this.probeServer(server);
  }

  /**
   * State to put in the report and the `stall` event if the main thread stalls (JSON, up to
   * 2 KB), for example the job it is running: `watchdog.setState({ job: 'nightly-export' })`.
   * Written to shared memory now, so the watchdog thread can read it while the thread is stuck.
   */
  setState(state: unknown): void {
    this.#beacon.shared.setState(state);
  }

  /** Probes `server` (at `probe.path`) from now on, once it listens, in place of any target before. */
  probeServer(server: Server): void {
    const send = () => {
      const target = targetFromServer(server, this.#probePath);
      if (target) this.#send({ type: 'target', target });
    };
    if (server.listening) send();
    this.cleanup.listen(server, 'listening', send);
  }

  /** Probes the first HTTP(S) server of the process to listen, found through diagnostics_channel. */
  #probeFirstServer(): void {
    const onListen = ({ server }: { server: Server }) => {
      if (!(server instanceof HttpServer || server instanceof HttpsServer)) return;
      unsubscribe();
      this.probeServer(server);
    };
    const unsubscribe = () => {
      for (const name of listenChannels) diagnostics_channel.unsubscribe(name, onListen as never);
    };
    for (const name of listenChannels) diagnostics_channel.subscribe(name, onListen as never);
    this.cleanup.defer(unsubscribe);
  }

  /** Stops the watchdog thread, disconnects its inspector session and removes every listener. */
  protected override teardown(): Promise<void> {
    super.teardown();
    this.#send({ type: 'close' });
    // The caller awaits the thread's exit: it must hold the process open until then.
    this.#worker.ref();
    return this.#exited;
  }

  #onMessage(message: FromWorker, options: ResolvedOptions): void {
    if (message.type === 'exit') process.exit(message.code);
    if (message.type === 'warning') return warn('watchdog', message.code, message.message);
    if (message.type === 'recover') return this.report('recover', message.event);
    this.report('stall', message.event);
    if (typeof options.onStall === 'function') notify(options.onStall, message.event);
  }

  #send(message: ToWorker): void {
    this.#worker.postMessage(message);
  }
}

function noop(): void {}

function workerConfig(o: ResolvedOptions, shared: SharedArrayBuffer, wake: SharedArrayBuffer): WorkerConfig {
  const target: ProbeTarget | undefined = o.probe?.url
    ? targetFromUrl(o.probe.url)
    : o.probe?.socketPath
      ? targetFromSocket(o.probe.socketPath, o.probe.path)
      : undefined;
  return {
    main: { name: 'main', threadId, tid: currentTid(), shared },
    wake,
    stallMs: o.stallMs,
    beatMs: o.pollMs,
    probe: o.probe && {
      target,
      timeoutMs: o.probe.timeoutMs,
      intervalMs: o.probe.intervalMs,
      confirmMs: o.probe.confirmMs,
      failures: o.probe.failures,
    },
    action: typeof o.onStall === 'function' ? 'call' : o.onStall,
    exit: o.exit,
    reportDir: o.reportDir,
    reportsPerHour: o.reportsPerHour,
    kickSignal: o.kick ? kickSignal : undefined,
    captureTimeoutMs: o.captureTimeoutMs,
  };
}

/**
 * Starts a watchdog thread that tells a blocked event loop (stale heartbeat) from a deaf server
 * (fresh heartbeat, failing probes), writes a report with the stuck thread's stack and what it was
 * serving, and acts. Worker threads that call `watchThread()` are watched too.
 */
export function startWatchdog(options?: WatchdogOptions): Watchdog {
  if (!isMainThread) throw new NotMainThreadError();
  return new Watchdog(resolveOptions(options));
}
