import type { Guard } from '@bulwark/core';

/**
 * How a guard plugs into `enable()` (its flag is its key in `guards/index.ts`): how to start it
 * from `true` or its options, and what it hands back. `Handle` is what `enable().guards.<flag>`
 * is typed as (`HupGuard` for hup), so users reach its events without a cast.
 */
export interface GuardPlugin<Options extends object = object, Handle extends Guard = Guard> {
  /**
   * Starts the guard. `true` means its defaults; `flags` are all the flags `enable()` was given,
   * for guards that work together (breaker guards the pools that the mysql flag patches).
   * Throws on bad options, naming them.
   */
  enable(options: true | Options, flags: Readonly<Record<string, unknown>>): Handle;
}

/** Names the plugin's options type so that `enable()`'s flags are typed per guard. */
export type OptionsOf<P> = P extends GuardPlugin<infer O, Guard> ? O : never;

/** Names the plugin's handle type so that `enable().guards` is typed per guard. */
export type HandleOf<P> = P extends GuardPlugin<object, infer H> ? H : never;
