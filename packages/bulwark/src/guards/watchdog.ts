import { isMainThread } from 'node:worker_threads';
import { type Guard, warn } from '@bulwark/core';
import { type StallEvent, type WatchedThread, type Watchdog, type WatchdogOptions, startWatchdog, watchThread } from '@bulwark/watchdog';
import type { GuardPlugin } from './plugin.js';

/**
 * `watchdog: true | options`. Without a probe target (`probe` absent, or only its path and
 * timing), it watches the heartbeat at once and probes the first HTTP(S) server the app starts
 * listening. In a worker thread (the flag's preload runs in each) it watches that thread for the
 * main thread's watchdog.
 */
export const watchdog = {
  enable(options): Watchdog | WatchedThread {
    if (!isMainThread) return watchThread();
    const o = options === true ? {} : options;
    const target = o.probe && (o.probe.url ?? o.probe.socketPath ?? o.probe.server);
    return warnOnStall(startWatchdog(target ? o : { ...o, probe: { ...o.probe, server: 'first' } }));
  },
} satisfies GuardPlugin<WatchdogOptions>;

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
