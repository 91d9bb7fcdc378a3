import type { GuardPlugin } from './plugin.js';

/** Every guard `enable()` knows, by flag. A guard plugs in by adding its line here. */
export const guards = {} satisfies Record<string, GuardPlugin<never>>;
