import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import * as esm from '../dist/index.js';

const cjs = createRequire(import.meta.url)('../dist/index.cjs') as typeof esm;

class TestFullError extends esm.BulwarkError {
  static readonly code = 'ERR_TEST_FULL';
}

describe('bulwark errors', () => {
  it('keep a stable code and the cause they wrap', () => {
    const cause = new Error('socket hang up');
    const error = new esm.InvalidOptionError('coalesceMs', -1, 'a non-negative number');
    const wrapped = new TestFullError('full', { cause });
    expect(error.code).toBe('ERR_BULWARK_INVALID_OPTION');
    expect(wrapped.cause).toBe(cause);
    expect(wrapped).toBeInstanceOf(Error);
  });

  it('match across the ESM and CJS copies of the package', () => {
    const fromCjs = new cjs.InvalidOptionError('attempts', 0, 'an integer of at least 1');
    expect(esm.InvalidOptionError).not.toBe(cjs.InvalidOptionError);
    expect(fromCjs instanceof esm.InvalidOptionError).toBe(true);
    expect(fromCjs instanceof esm.BulwarkError).toBe(true);
    expect(esm.isBulwarkError(fromCjs, 'ERR_BULWARK_INVALID_OPTION')).toBe(true);
  });

  it('do not match an error of another code or a plain error', () => {
    const invalid = new esm.InvalidOptionError('x', 1, 'y');
    expect(invalid instanceof TestFullError).toBe(false);
    expect(new Error('x') instanceof esm.BulwarkError).toBe(false);
    expect(esm.isBulwarkError({ code: 'ERR_TEST_FULL' })).toBe(false);
    expect(esm.isBulwarkError(null)).toBe(false);
  });
});

describe('option checks', () => {
  it('name the option and the value in the message', () => {
    expect(() => esm.checkNumber('coalesceMs', -5, { min: 0 })).toThrow('coalesceMs must be a non-negative number, got -5');
    expect(() => esm.checkNumber('attempts', 1.5, { min: 1, integer: true })).toThrow('attempts must be an integer of at least 1, got 1.5');
    expect(() => esm.checkNumber('quota', 2, { min: 0, max: 1 })).toThrow('quota must be a number from 0 to 1, got 2');
    expect(() => esm.checkNumber('stallMs', Number.NaN)).toThrow('stallMs must be a finite number, got NaN');
    expect(() => esm.checkOneOf('onStall', 'explode', ['report', 'exit'])).toThrow(
      `onStall must be one of "report", "exit", got 'explode'`,
    );
    expect(() => esm.checkFunction('reload', 'x')).toThrow(`reload must be a function, got 'x'`);
    expect(() => esm.checkBoolean('kick', 1)).toThrow('kick must be true or false, got 1');
    expect(() => esm.checkString('name', '')).toThrow(`name must be a non-empty string, got ''`);
  });

  it('return good values unchanged', () => {
    expect(esm.checkNumber('n', 3, { min: 0, integer: true })).toBe(3);
    expect(esm.checkOneOf('mode', 'sysv', ['sysv', 'posix'])).toBe('sysv');
    expect(esm.checkString('name', 'mysql_primary', /^[\w.-]+$/)).toBe('mysql_primary');
  });

  it('reject unknown option names, listing the known ones', () => {
    expect(() => esm.checkOptions('hup', { coalesceMS: 1 }, ['coalesceMs', 'timeoutMs'])).toThrow(
      'hup.coalesceMS must be one of the known options (coalesceMs, timeoutMs), got 1',
    );
    expect(esm.checkOptions('hup', undefined, ['coalesceMs'])).toEqual({});
    expect(() => esm.checkOptions('hup', 'yes' as never, [])).toThrow(`hup must be an options object, got 'yes'`);
  });
});
