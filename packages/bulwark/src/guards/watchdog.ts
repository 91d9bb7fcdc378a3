import diagnostics_channel from 'node:diagnostics_channel';
import { Server as HttpServer } from 'node:http';
import type { Server } from 'node:net';
import { isMainThread } from 'node:worker_threads';
import { type Guard, GuardHandle, warn } from '@bulwark/core';
import { type StallEvent, type Watchdog, type WatchdogOptions, startWatchdog, watchThread } from '@bulwark/watchdog';
import type { GuardPlugin } from './plugin.js';

// Published by net.Server#listen once the server accepts connections (Node 22.3; on 20.20 here).
// The first request's channel (every Node 20) is the fallback for a Node without it.
const channels = ['tracing:net.server.listen:asyncEnd', 'http.server.request.start'];

/**
 * `watchdog: true | options`. Without a probe target (`probe` absent, or only its path and timing), it watches the heartbeat at once and probes the
 * first HTTP(S) server the app starts listening, found through diagnostics_channel. In a worker
 * thread (the flag's preload runs in each) it watches that thread for the main thread's watchdog.
 */
export const watchdog = {
  enable(options): Guard {
    if (!isMainThread) return watchThread();
    const o = options === true ? {} : options;
    const target = o.probe && (o.probe.url ?? o.probe.socketPath ?? o.probe.server);
    return target ? warnOnStall(startWatchdog(o)) : new FirstServerWatchdog(o);
  },
} satisfies GuardPlugin<WatchdogOptions>;

/** A watchdog that adds the first HTTP server to listen as its probe target. */
class FirstServerWatchdog extends GuardHandle {
  readonly #watchdog: Watchdog;
  readonly #onListen = ({ server }: { server: Server }) => {
    if (!(server instanceof HttpServer)) return;
    this.#unsubscribe();
    this.#watchdog.probeServer(server);
  };

  constructor(options: WatchdogOptions) {
    super('watchdog');
    // Bad options fail now; a probe with only its path and timing (or none) waits for its server.
    this.#watchdog = warnOnStall(startWatchdog({ ...options, probe: options.probe ?? {} }));
    for (const name of channels) diagnostics_channel.subscribe(name, this.#onListen as never);
    this.cleanup.defer(() => this.#unsubscribe());
  }

  #unsubscribe(): void {
    for (const name of channels) diagnostics_channel.unsubscribe(name, this.#onListen as never);
  }

  protected override teardown(): Promise<void> {
    super.teardown();
    return this.#watchdog.close();
  }
}

// Nobody listens to the events of a guard switched on by an environment variable: say it on stderr.
function warnOnStall<G extends Guard & Pick<Watchdog, 'on'>>(guard: G): G {
  guard.on('stall', (event: StallEvent) => {
    const thread = event.thread.threadId === 0 ? 'event loop' : `worker thread "${event.thread.name}"`;
    const where = event.culprit
      ? ` in ${event.culprit}`
      : event.stack[0]
        ? ` in ${event.stack[0]}`
        : event.kernel?.syscallName
          ? ` in syscall ${event.kernel.syscallName}`
          : '';
    warn(
      'watchdog',
      event.kind === 'deaf' ? 'BULWARK_WATCHDOG_DEAF' : 'BULWARK_WATCHDOG_BLOCKED',
      `${thread} ${event.kind}${where} for ${event.durationMs} ms; report: ${event.reportPath ?? 'not written'}`,
    );
  });
  return guard;
}
