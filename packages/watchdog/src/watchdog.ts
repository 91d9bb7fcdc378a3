import type { Server } from 'node:net';
import { Worker, isMainThread } from 'node:worker_threads';
import { Cleanup, GuardEmitter, type Guard } from '@bulwark/core';
import { NotMainThreadError } from './errors.js';
import { Heartbeat } from './heartbeat.js';
import { type ResolvedOptions, type WatchdogOptions, resolveOptions } from './options.js';
import type { FromWorker, ProbeTarget, RecoverEvent, StallEvent, ToWorker, WorkerConfig } from './protocol.js';
import { targetFromServer, targetFromSocket, targetFromUrl } from './target.js';

/** The signal the kick sends. Its default action is to ignore, so a late one never kills. */
export const kickSignal = 'SIGURG';

export interface WatchdogEvents {
  stall: StallEvent;
  recover: RecoverEvent;
}

/** A running watchdog: `stall` and `recover` events, and `close()`. */
export class Watchdog extends GuardEmitter<WatchdogEvents> implements Guard {
  readonly #cleanup = new Cleanup();
  readonly #worker: Worker;
  readonly #exited: Promise<void>;

  constructor(options: ResolvedOptions) {
    super('watchdog');
    const heartbeat = new Heartbeat(Math.max(5, Math.min(options.pollMs, Math.floor(options.stallMs / 4))));
    this.#cleanup.defer(() => heartbeat.stop());
    if (options.kick) this.#cleanup.listen(process, kickSignal, noop);
    this.#worker = new Worker(new URL('./worker.js', import.meta.url), {
      workerData: workerConfig(options, heartbeat.buffer),
      // The watchdog thread must not run --import/--require preloads (they would start another watchdog).
      execArgv: [],
      stdout: false,
      stderr: false,
    });
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
    this.#cleanup.listen(this.#worker, 'message', (message: FromWorker) => this.#onMessage(message, options));
    // A guard must not crash the app it guards: a failing watchdog thread is a warning.
    this.#cleanup.listen(this.#worker, 'error', (error: Error) => process.emitWarning(`watchdog thread failed: ${error.message}`, 'BulwarkWatchdogWarning'));
    // After the listeners: adding a 'message' listener refs the worker's port again.
    this.#worker.unref();
    const server = options.probe?.server;
    if (server) this.#followServer(server, options.probe!.path);
  }

  /** Stops the watchdog thread, disconnects its inspector session and removes every listener. */
  async close(): Promise<void> {
    if (!this.#cleanup.done) {
      this.#cleanup.run();
      this.#send({ type: 'close' });
    }
    // The caller awaits the thread's exit: it must hold the process open until then.
    this.#worker.ref();
    await this.#exited;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  [Symbol.dispose](): void {
    void this.close();
  }

  #onMessage(message: FromWorker, options: ResolvedOptions): void {
    if (message.type === 'exit') process.exit(message.code);
    if (message.type === 'recover') return this.report('recover', message.event);
    this.report('stall', message.event);
    if (typeof options.onStall === 'function') options.onStall(message.event);
  }

  #followServer(server: Server, path: string): void {
    const send = () => {
      const target = targetFromServer(server, path);
      if (target) this.#send({ type: 'target', target });
    };
    if (server.listening) send();
    this.#cleanup.listen(server, 'listening', send);
  }

  #send(message: ToWorker): void {
    this.#worker.postMessage(message);
  }
}

function noop(): void {}

function workerConfig(o: ResolvedOptions, heartbeat: SharedArrayBuffer): WorkerConfig {
  const target: ProbeTarget | undefined = o.probe?.url
    ? targetFromUrl(o.probe.url)
    : o.probe?.socketPath
      ? targetFromSocket(o.probe.socketPath, o.probe.path)
      : undefined;
  return {
    heartbeat,
    stallMs: o.stallMs,
    pollMs: o.pollMs,
    probe: o.probe && { target, timeoutMs: o.probe.timeoutMs, intervalMs: o.probe.intervalMs, failures: o.probe.failures },
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
 * (fresh heartbeat, failing probes), writes a report with the main thread's stack, and acts.
 */
export function startWatchdog(options?: WatchdogOptions): Watchdog {
  if (!isMainThread) throw new NotMainThreadError();
  return new Watchdog(resolveOptions(options));
}
