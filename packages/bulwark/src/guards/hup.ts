import { type HupOptions, type Reload, onHup, serveWorkerReopens } from '@bulwark/hup';
import { isMainThread } from 'node:worker_threads';
import type { GuardPlugin } from './plugin.js';

/** `enable({ hup: { reload, ...HupOptions } })`; with no reload, each coalesced burst is only published. */
export interface HupFlagOptions extends HupOptions {
  /** The app's reload. Without it the process survives HUP, reopens its logs and publishes `bulwark:hup:reload`. */
  readonly reload?: Reload;
}

/**
 * The `hup` flag: `enable({ hup: true })` or `BULWARK_HUP=1`. It adopts the process's logs and
 * SIGHUP listeners (`adopt: true` unless set). In a worker thread (which `--import bulwark/register`
 * also runs in) it installs no SIGHUP listener: it reopens the thread's logs when the main thread reloads.
 */
export const hup = {
  enable(options) {
    const { reload, ...rest } = options === true ? {} : options;
    if (!isMainThread) return serveWorkerReopens();
    return onHup(reload, { adopt: true, ...rest });
  },
} satisfies GuardPlugin<HupFlagOptions>;
