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
 * Base of every error a guard throws. Subclasses declare `static readonly code`; `instanceof`
 * matches on that code, so an error from another copy of the package still matches.
 */
export abstract class BulwarkError extends Error {
  abstract readonly code: string;
  readonly [kBulwarkError] = true;

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    const code = (this as { code?: string }).code;
    return isBulwarkError(value, code);
  }
}

/** An option was missing, of the wrong type or out of range. Thrown at construction. */
export class InvalidOptionError extends BulwarkError {
  static readonly code = 'ERR_BULWARK_INVALID_OPTION';
  readonly code = InvalidOptionError.code;

  constructor(
    readonly option: string,
    readonly value: unknown,
    expected: string,
  ) {
    super(`${option} must be ${expected}, got ${describe(value)}`);
    this.name = 'InvalidOptionError';
  }
}

/** A short, single-line rendering of a bad value for an error message. */
export function describe(value: unknown): string {
  return inspect(value, { depth: 1, breakLength: Infinity, maxStringLength: 80 });
}
