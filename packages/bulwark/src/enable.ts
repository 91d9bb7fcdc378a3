import { type Guard, InvalidOptionError, closeWith } from '@bulwark/core';
import { guards } from './guards/index.js';
import type { GuardPlugin, OptionsOf } from './guards/plugin.js';

type Guards = typeof guards;
export type GuardName = keyof Guards & string;

/** One flag per guard: `true` for its defaults, its options object (or one of its words), or `false` to leave it off. */
export type BulwarkOptions = { readonly [K in GuardName]?: boolean | OptionsOf<Guards[K]> };

/** What `enable()` started: each guard by name, and one `close()` that undoes them all. */
export interface Enabled extends Guard {
  readonly guards: { readonly [K in GuardName]?: Guard } & Readonly<Record<string, Guard | undefined>>;
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
    // The start failure is what the caller needs to see; a close failure after it would hide it.
    closeAll(started).catch(() => {});
    throw error;
  }
  return Object.assign(closeWith(() => closeAll(started)), { guards: started });
}

function checkFlags(flags: BulwarkOptions): Array<[string, true | string | object]> {
  if (typeof flags !== 'object' || flags === null)
    throw new InvalidOptionError('enable() flags', flags, `an object with any of: ${guardNames.join(', ')}`);
  const wanted: Array<[string, true | string | object]> = [];
  for (const [name, value] of Object.entries(flags)) {
    if (!guardNames.includes(name))
      throw new InvalidOptionError(name, value, `a known guard flag: ${guardNames.join(', ')}`);
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

async function closeAll(started: Record<string, Guard>): Promise<void> {
  const results = await Promise.allSettled(Object.values(started).reverse().map(async (guard) => guard.close()));
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
  if (errors.length > 0) throw new AggregateError(errors, 'some guards failed to close');
}
