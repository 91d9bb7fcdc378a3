import { BulwarkError, type Guard, InvalidOptionError, closeWith, describe, warnError } from '@bulwark/core';
import { guards } from './guards/index.js';
import type { GuardPlugin, HandleOf, OptionsOf } from './guards/plugin.js';

type Guards = typeof guards;
export type GuardName = keyof Guards & string;

/** One flag per guard: `true` for its defaults, its options object (or one of its words), or `false` to leave it off. */
export type BulwarkOptions = { readonly [K in GuardName]?: boolean | OptionsOf<Guards[K]> };

/** Each started guard's handle by flag, typed per guard (`hup` is a `HupGuard`); a flag left off is absent. */
export type EnabledGuards = { readonly [K in GuardName]?: HandleOf<Guards[K]> };

/** What `enable()` started: each guard's handle by flag, and one `close()` that undoes them all. */
export interface Enabled extends Guard {
  readonly guards: EnabledGuards;
}

/** The flags `enable()` knows, in the order it starts them. */
export const guardNames: readonly string[] = Object.keys(guards);
const plugins: Readonly<Record<string, GuardPlugin<object, string>>> = guards;

/** The words a guard's flag takes besides `true` and an options object (`metrics: 'otel'`). */
export function flagWords(name: string): readonly string[] {
  return plugins[name]?.words ?? [];
}

/**
 * Starts the guards whose flag is set. An unknown flag or a bad value throws before anything
 * starts; a guard that fails to start closes the ones started before it.
 */
export function enable(flags: BulwarkOptions = {}): Enabled {
  const wanted = checkFlags(flags);
  const started: Record<string, Guard> = {};
  try {
    for (const [name, options] of wanted) started[name] = plugins[name]!.enable(options, flags);
  } catch (error) {
    // The start failure is what the caller needs to see; a close failure after it is a warning.
    closeAll(started).catch((closeError: unknown) =>
      warnError('bulwark', 'BULWARK_ENABLE_UNDO_FAILED', 'closing the guards started before one failed to start', closeError),
    );
    throw error;
  }
  return Object.assign(
    closeWith(() => closeAll(started)),
    { guards: started as EnabledGuards },
  );
}

function checkFlags(flags: BulwarkOptions): Array<[string, true | string | object]> {
  if (typeof flags !== 'object' || flags === null)
    throw new InvalidOptionError('enable() flags', flags, `an object with any of: ${guardNames.join(', ')}`);
  const wanted: Array<[string, true | string | object]> = [];
  for (const [name, value] of Object.entries(flags)) {
    if (!guardNames.includes(name)) throw new InvalidOptionError(name, value, `a known guard flag: ${guardNames.join(', ')}`);
    if (value === false || value === undefined) continue;
    const words = flagWords(name);
    if (typeof value === 'string' && words.includes(value)) {
      wanted.push([name, value]);
      continue;
    }
    if (value !== true && (typeof value !== 'object' || value === null || Array.isArray(value)))
      throw new InvalidOptionError(name, value, orList(['true', 'false', ...words.map((w) => `'${w}'`), 'an options object']));
    wanted.push([name, value]);
  }
  return wanted;
}

/** `a, b or c`. */
export function orList(items: readonly string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

/** `enable()`'s `close()` rejects with this when a guard's close failed; the others still closed. */
export class GuardsCloseError extends BulwarkError {
  static readonly code = 'ERR_BULWARK_CLOSE_FAILED';

  /** `errors[flag]` is why that guard failed to close. */
  constructor(readonly errors: Readonly<Record<string, unknown>>) {
    const names = Object.keys(errors);
    super(`${names.join(', ')} failed to close: ${names.map((n) => message(errors[n])).join('; ')}`, { cause: errors[names[0]!] });
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : describe(error);
}

/** Closes every started guard, the last started first, all of them even when one fails. */
async function closeAll(started: Record<string, Guard>): Promise<void> {
  const names = Object.keys(started).reverse();
  const results = await Promise.allSettled(names.map(async (name) => started[name]!.close()));
  const errors = Object.fromEntries(
    names.flatMap((name, i) => {
      const result = results[i]!;
      return result.status === 'rejected' ? [[name, result.reason]] : [];
    }),
  );
  if (Object.keys(errors).length > 0) throw new GuardsCloseError(errors);
}
