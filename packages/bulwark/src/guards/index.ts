import type { GuardPlugin } from './plugin.js';
import { watchdog } from './watchdog.js';

/** Every guard `enable()` knows, by flag. A guard plugs in by adding its line here. */
export const guards = { watchdog } satisfies Record<string, GuardPlugin<never>>;
