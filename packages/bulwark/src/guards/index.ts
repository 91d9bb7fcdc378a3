import { breaker } from './breaker.js';
import { hup } from './hup.js';
import { metrics } from './metrics.js';
import { mysql } from './mysql.js';
import type { AnyGuardPlugin } from './plugin.js';
import { watchdog } from './watchdog.js';

/**
 * Every guard `enable()` knows, by flag, in the order it starts them. A guard plugs in by adding its
 * line here. Metrics start first and close last, so they see every other guard's events.
 */
export const guards = { metrics, mysql, breaker, hup, watchdog } satisfies Record<string, AnyGuardPlugin>;
