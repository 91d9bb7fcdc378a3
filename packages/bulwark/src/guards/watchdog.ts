import diagnostics_channel from 'node:diagnostics_channel';
import { Server as HttpServer } from 'node:http';
import type { Server } from 'node:net';
import { isMainThread } from 'node:worker_threads';
import { type Guard, closeWith } from '@bulwark/core';
import { type StallEvent, type Watchdog, type WatchdogOptions, checkWatchdogOptions, startWatchdog } from '@bulwark/watchdog';
import type { GuardPlugin } from './plugin.js';

// Published by net.Server#listen once the server accepts connections (Node 22.3; on 20.20 here).
// The first request's channel (every Node 20) is the fallback for a Node without it.
const channels = ['tracing:net.server.listen:asyncEnd', 'http.server.request.start'];

/**
 * `watchdog: true | options`. Without a probe target (`probe` absent, or only its path and timing), it watches the heartbeat at once and probes the
 * first HTTP(S) server the app starts listening, found through diagnostics_channel.
 */
export const watchdog: GuardPlugin<WatchdogOptions> = {
  enable(options) {
    // A worker thread has no main thread of its own to watch; the main thread's watchdog covers it.
    if (!isMainThread) return closeWith(() => {});
    const o = options === true ? {} : options;
    const target = o.probe && (o.probe.url ?? o.probe.socketPath ?? o.probe.server);
    return target ? warnOnStall(startWatchdog(o)) : new FirstServerWatchdog(o);
  },
};

/** Starts without a probe, then restarts once with `probe: { server }` for the first HTTP server. */
class FirstServerWatchdog implements Guard {
  #current: Watchdog;
  #closing: Promise<void> | undefined;
  readonly #onListen = ({ server }: { server: Server }) => {
    if (!(server instanceof HttpServer) || this.#closing) return;
    this.#unsubscribe();
    const previous = this.#current;
    this.#current = warnOnStall(startWatchdog({ ...this.options, probe: { ...this.options.probe, server } }));
    void previous.close();
  };

  constructor(readonly options: WatchdogOptions) {
    // Bad probe path or timing fails now, not when the first server listens.
    checkWatchdogOptions({ ...options, probe: options.probe && { ...options.probe, url: 'http://127.0.0.1/' } });
    this.#current = warnOnStall(startWatchdog({ ...options, probe: undefined }));
    for (const name of channels) diagnostics_channel.subscribe(name, this.#onListen as never);
  }

  #unsubscribe(): void {
    for (const name of channels) diagnostics_channel.unsubscribe(name, this.#onListen as never);
  }

  close(): Promise<void> {
    this.#unsubscribe();
    return (this.#closing ??= this.#current.close());
  }

  [Symbol.dispose](): void {
    void this.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

// Nobody listens to the events of a guard switched on by an environment variable: say it on stderr.
function warnOnStall(guard: Watchdog): Watchdog {
  guard.on('stall', (event: StallEvent) => {
    const where = event.stack[0] ? ` in ${event.stack[0]}` : event.kernel?.syscallName ? ` in syscall ${event.kernel.syscallName}` : '';
    process.emitWarning(`event loop ${event.kind}${where} for ${event.durationMs} ms; report: ${event.reportPath ?? 'not written'}`, 'BulwarkWatchdogWarning');
  });
  return guard;
}
