import { breaker } from './breaker.js';
import { hup } from './hup.js';
import { mysql } from './mysql.js';
import type { GuardPlugin } from './plugin.js';
import { watchdog } from './watchdog.js';

/** Every guard `enable()` knows, by flag, in the order it starts them. A guard plugs in by adding its line here. */
export const guards = { mysql, breaker, hup, watchdog } satisfies Record<string, GuardPlugin<never>>;
