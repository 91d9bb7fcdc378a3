import type { Guard } from '@bulwark/core';

/** How a guard plugs into `enable()` (its flag is its key in `guards/index.ts`): how to start it from `true` or its options. */
export interface GuardPlugin<Options extends object = object> {
  /**
   * Starts the guard. `true` means its defaults; `flags` are all the flags `enable()` was given,
   * for guards that work together (breaker guards the pools that the mysql flag patches).
   * Throws on bad options, naming them.
   */
  enable(options: true | Options, flags: Readonly<Record<string, unknown>>): Guard;
}

/** Names the plugin's options type so that `enable()`'s flags are typed per guard. */
export type OptionsOf<P> = P extends GuardPlugin<infer O> ? O : never;
