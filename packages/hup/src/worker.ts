import { GuardHandle, processGlobal, warnError } from '@bulwark/core';
import { startDiscovery } from './discover.js';
import { isPinoTransport, registry, reopen, reopenMoved, subscribeRegistrations } from './reopen.js';
import { serveThreadReopens } from './threads.js';

/**
 * What the HUP guard is in a worker thread, where no signal ever arrives: no SIGHUP listener, but
 * the thread's log writers (a pino transport's `pino/file` destination, sonic-boom, fs.WriteStream,
 * winston) are found as in the main thread, and reopened when the main thread's guard reloads
 * (it asks every thread on the `bulwark:hup:reopen` BroadcastChannel and waits for the answer).
 */
class WorkerReopens extends GuardHandle {
  constructor() {
    super('hup');
    // One server per thread, however many copies ask (the flag and a transport's worker entry).
    const serving = processGlobal('hup.worker', () => ({ active: false }));
    if (serving.active) return;
    serving.active = true;
    this.cleanup.defer(() => (serving.active = false));
    this.cleanup.defer(startDiscovery());
    this.cleanup.defer(subscribeRegistrations());
    this.cleanup.defer(serveThreadReopens(() => this.#reopenHere()));
  }

  async #reopenHere(): Promise<number> {
    if (this.closed) return 0;
    const given = [...registry()].filter((d) => !isPinoTransport(d));
    try {
      const [, moved] = await Promise.all([Promise.all(given.map((d) => reopen(d))), reopenMoved()]);
      return given.length + moved;
    } catch (error) {
      warnError('hup', 'BULWARK_HUP_REOPEN_FAILED', 'a worker thread could not reopen a log', error);
      return 0;
    }
  }
}

/** Serves the main thread's reopens from this worker thread; what `BULWARK_HUP=1` starts in a worker. */
export function serveWorkerReopens(): GuardHandle {
  return new WorkerReopens();
}
