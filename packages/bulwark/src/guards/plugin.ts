import type { Guard } from '@bulwark/core';

/**
 * How a guard plugs into `enable()` (its flag is its key in `guards/index.ts`): how to start it
 * from `true`, one of its `words` (`metrics: 'otel'`) or its options.
 */
export interface GuardPlugin<Options extends object = object, Word extends string = never> {
  /** Words the flag takes besides `true` and an options object, in code and in `BULWARK_<GUARD>`. */
  readonly words?: readonly Word[];
  /**
   * Starts the guard. `true` means its defaults; `flags` are all the flags `enable()` was given,
   * for guards that work together (breaker guards the pools that the mysql flag patches).
   * Throws on bad options, naming them.
   */
  enable(options: true | Word | Options, flags: Readonly<Record<string, unknown>>): Guard;
}

/** Names what the plugin's flag takes besides a boolean, so that `enable()`'s flags are typed per guard. */
export type OptionsOf<P> = P extends GuardPlugin<infer O, infer W> ? O | W : never;

/**
 * What `enable().guards.<flag>` is typed as: what the plugin's `enable` returns. A plugin written
 * `export const hup = { enable(options) { ... } } satisfies GuardPlugin<HupFlagOptions>` hands its
 * own type through (`HupGuard`); one annotated `: GuardPlugin<...>` hands back only `Guard`.
 */
export type HandleOf<P> = P extends { enable(...args: never[]): infer H } ? H : never;

/** Any guard's plugin, whatever its options and words: what `guards/index.ts` lists. */
export interface AnyGuardPlugin {
  readonly words?: readonly string[];
  enable(options: never, flags: Readonly<Record<string, unknown>>): Guard;
}
