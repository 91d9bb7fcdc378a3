import { InvalidOptionError } from './errors.js';

interface NumberRange {
  /** Smallest value allowed. */
  readonly min?: number;
  /** Largest value allowed. */
  readonly max?: number;
  /** Whether the value must be a whole number. */
  readonly integer?: boolean;
}

/** Returns `value` when it is a finite number within `range`; throws naming `option` otherwise. */
export function checkNumber(option: string, value: unknown, range: NumberRange = {}): number {
  const { min = -Infinity, max = Infinity, integer = false } = range;
  const ok = typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max && (!integer || Number.isInteger(value));
  if (!ok) throw new InvalidOptionError(option, value, expectation(range, integer));
  return value as number;
}

function expectation({ min, max }: NumberRange, integer: boolean): string {
  const kind = integer ? 'an integer' : 'a number';
  if (min !== undefined && max !== undefined) return `${kind} from ${min} to ${max}`;
  if (min === 0) return integer ? 'a non-negative integer' : 'a non-negative number';
  if (min !== undefined) return `${kind} of at least ${min}`;
  if (max !== undefined) return `${kind} of at most ${max}`;
  return `a finite ${kind.slice(kind.indexOf(' ') + 1)}`;
}

/** Returns `value` when it is a boolean; throws naming `option` otherwise. */
export function checkBoolean(option: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new InvalidOptionError(option, value, 'true or false');
  return value;
}

/** Returns `value` when it is a non-empty string (matching `pattern`, if given); throws naming `option` otherwise. */
export function checkString(option: string, value: unknown, pattern?: RegExp): string {
  if (typeof value !== 'string' || value === '' || (pattern && !pattern.test(value)))
    throw new InvalidOptionError(option, value, pattern ? `a string matching ${pattern}` : 'a non-empty string');
  return value;
}

/** Returns `value` when it is a function; throws naming `option` otherwise. */
export function checkFunction<F extends (...args: never[]) => unknown>(option: string, value: unknown): F {
  if (typeof value !== 'function') throw new InvalidOptionError(option, value, 'a function');
  return value as F;
}

/** Returns `value` when it is one of `choices`; throws naming `option` and the choices otherwise. */
export function checkOneOf<const T extends readonly unknown[]>(option: string, value: unknown, choices: T): T[number] {
  if (!choices.includes(value)) throw new InvalidOptionError(option, value, `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`);
  return value as T[number];
}

/** Returns `value` as a plain object (an absent value becomes `{}`); rejects keys not in `known`. */
export function checkOptions<T extends object>(option: string, value: T | undefined, known: readonly string[]): T {
  if (value === undefined) return {} as T;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidOptionError(option, value, 'an options object');
  const unknown = Object.keys(value).filter((key) => !known.includes(key));
  if (unknown.length > 0)
    throw new InvalidOptionError(
      `${option}.${unknown[0]}`,
      (value as Record<string, unknown>)[unknown[0]!],
      `one of the known options (${known.join(', ')})`,
    );
  return value;
}
