import { type HupOptions, type Reload, onHup } from '@bulwark/hup';
import type { GuardPlugin } from './plugin.js';

/** `enable({ hup: { reload, ...HupOptions } })`; with no reload, each coalesced burst is only published. */
export interface HupFlagOptions extends HupOptions {
  /** The app's reload. Without it the process survives HUP, reopens registered logs and publishes `bulwark:hup:reload`. */
  readonly reload?: Reload;
}

/** The `hup` flag: `enable({ hup: true })` or `BULWARK_HUP=1`. */
export const hup = {
  enable(options) {
    const { reload, ...rest } = options === true ? {} : options;
    return onHup(reload, rest);
  },
} satisfies GuardPlugin<HupFlagOptions>;
