import { inspect } from 'node:util';

/** Marks every bulwark error, across duplicate copies of the package (ESM and CJS side by side). */
export const kBulwarkError: unique symbol = Symbol.for('bulwark.error') as never;

/** True when `value` is an error thrown by a bulwark guard, optionally with the given `code`. */
export function isBulwarkError(value: unknown, code?: string): value is BulwarkError {
  if (typeof value !== 'object' || value === null) return false;
  const marked = (value as { [kBulwarkError]?: unknown })[kBulwarkError] === true;
  return marked && (code === undefined || (value as { code?: unknown }).code === code);
}

/**
 * Base of every error a guard throws. A subclass declares `static readonly code` and calls
 * `super(message, options)`; `code` and `name` are set from the class. `instanceof` matches on the
 * code, so an error from another copy of the package still matches.
 *
 * Codes follow one scheme: `ERR_BULWARK_<WHAT>` for what any guard can throw (a bad option, a
 * closed guard), `ERR_<SUBJECT>_<WHAT>` for one guard's own outcome (`ERR_CIRCUIT_OPEN`,
 * `ERR_BULKHEAD_FULL`, `ERR_HUP_RELOAD_TIMEOUT`).
 */
export abstract class BulwarkError extends Error {
  /** The stable code users match on; the subclass's `static code`. */
  readonly code: string;
  readonly [kBulwarkError] = true;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    const subclass = new.target as unknown as { code: string; name: string };
    this.code = subclass.code;
    this.name = subclass.name;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    const code = (this as { code?: string }).code;
    return isBulwarkError(value, code);
  }
}

/** An option was missing, of the wrong type or out of range. Thrown at construction. */
export class InvalidOptionError extends BulwarkError {
  static readonly code = 'ERR_BULWARK_INVALID_OPTION';

  constructor(
    readonly option: string,
    readonly value: unknown,
    expected: string,
  ) {
    super(`${option} must be ${expected}, got ${describe(value)}`);
  }
}

/** A guard was used after `close()`: a call that needs it rejects with this. */
export class GuardClosedError extends BulwarkError {
  static readonly code = 'ERR_BULWARK_CLOSED';

  /** `guard` is the guard's name (`hup`, `breaker`, ...); `what` the closed thing, for the message. */
  constructor(
    readonly guard: string,
    what: string = `the ${guard} guard`,
  ) {
    super(`${what} is closed`);
  }
}

/** A short, single-line rendering of a value for a message: never a whole object's dump. */
export function describe(value: unknown): string {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const name = value.constructor?.name;
    if (name && name !== 'Object') return `an instance of ${name}`;
  }
  return inspect(value, { depth: 0, breakLength: Infinity, maxStringLength: 80, maxArrayLength: 5 }).slice(0, 200);
}
