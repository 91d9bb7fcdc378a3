import diagnostics_channel from 'node:diagnostics_channel';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { catchNextTickThrows } from '@bulwark/test-rig';
import { InvalidOptionError } from '@bulwark/core';
import { type RetryInterruptedInfo, retryInterrupted } from '../dist/index.js';

/** A call that fails with `code` the first `failures` times, the way fs and net surface errno. */
function failing<T>(failures: number, code: string, value: T) {
  let calls = 0;
  const fn = () => {
    calls++;
    if (calls <= failures) throw Object.assign(new Error(`${code}: interrupted`), { code, errno: -4, syscall: 'read' });
    return value;
  };
  return { fn, calls: () => calls };
}

let catching: ReturnType<typeof catchNextTickThrows> | undefined;
/** What the next ticks throw during this test. */
function nextTickThrows(): unknown[] {
  catching = catchNextTickThrows();
  return catching.thrown;
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

afterEach(() => {
  vi.restoreAllMocks();
  catching?.restore();
  catching = undefined;
});

describe('retryInterrupted', () => {
  it('calls a sync function again after EINTR and returns its value synchronously', () => {
    const call = failing(2, 'EINTR', 42);
    const retries: RetryInterruptedInfo[] = [];
    const result = retryInterrupted(call.fn, { onRetry: (info) => retries.push(info) });
    expect(result).toBe(42);
    expect(call.calls()).toBe(3);
    expect(retries.map((r) => [r.attempt, r.code, r.delayMs])).toEqual([
      [1, 'EINTR', 0],
      [2, 'EINTR', 0],
    ]);
  });

  it('waits between EAGAIN retries, doubling up to maxBackoffMs', () => {
    const call = failing(4, 'EAGAIN', 'data');
    const delays: number[] = [];
    expect(retryInterrupted(call.fn, { maxBackoffMs: 4, onRetry: (r) => delays.push(r.delayMs) })).toBe('data');
    expect(delays).toEqual([1, 2, 4, 4]);
  });

  it('retries an async function whose promise rejects with EAGAIN', async () => {
    let calls = 0;
    const result = await retryInterrupted(async () => {
      if (++calls < 3) throw Object.assign(new Error('EAGAIN'), { code: 'EAGAIN' });
      return 'done';
    });
    expect(result).toBe('done');
    expect(calls).toBe(3);
  });

  it('lets any other error through at once, untouched', async () => {
    const call = failing(5, 'ENOENT', 0);
    const error = (() => {
      try {
        retryInterrupted(call.fn);
      } catch (e) {
        return e as Error & { bulwark?: unknown };
      }
    })();
    expect(error?.message).toBe('ENOENT: interrupted');
    expect(error?.bulwark).toBeUndefined();
    expect(call.calls()).toBe(1);
    await expect(retryInterrupted(async () => Promise.reject(new TypeError('bad')))).rejects.toThrow(TypeError);
  });

  it('stops after `attempts` calls and throws the last error with its facts', () => {
    const call = failing(10, 'EINTR', 1);
    expect(() => retryInterrupted(call.fn, { attempts: 3 })).toThrow(
      expect.objectContaining({ code: 'EINTR', bulwark: { attempts: 3, retried: true, reason: 'attempts-exhausted' } }),
    );
    expect(call.calls()).toBe(3);
  });

  it('stops at the deadline, recomputing the time left before each call', async () => {
    const started = performance.now();
    const forever = async () => Promise.reject(Object.assign(new Error('EAGAIN'), { code: 'EAGAIN' }));
    await expect(retryInterrupted(forever, { attempts: Infinity, deadlineMs: 100 })).rejects.toMatchObject({
      bulwark: { reason: 'deadline-exceeded', retried: true },
    });
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
  });

  it('publishes each retry on bulwark:eintr:retry', () => {
    const published: unknown[] = [];
    const listen = (message: unknown) => published.push(message);
    diagnostics_channel.subscribe('bulwark:eintr:retry', listen);
    retryInterrupted(failing(1, 'EINTR', 0).fn);
    diagnostics_channel.unsubscribe('bulwark:eintr:retry', listen);
    expect(published).toEqual([expect.objectContaining({ attempt: 1, code: 'EINTR' })]);
  });

  it('rejects bad options at the call, naming them', () => {
    expect(() => retryInterrupted(() => 1, { attempts: 0 })).toThrow('attempts must be an integer of at least 1, got 0');
    expect(() => retryInterrupted(() => 1, { deadlineMs: -1 })).toThrow('deadlineMs must be a non-negative number, got -1');
    expect(() => retryInterrupted(() => 1, { onRetry: 'log' as never })).toThrow(`onRetry must be a function, got 'log'`);
    expect(() => retryInterrupted(() => 1, { atempts: 3 } as never)).toThrow('options.atempts must be one of the known options');
    expect(() => retryInterrupted('read' as never)).toThrow(InvalidOptionError);
    expect(() => retryInterrupted('read' as never)).toThrow(`fn must be a function, got 'read'`);
  });

  it('retries all the same when onRetry throws, and surfaces its error on the next tick', async () => {
    const thrown = nextTickThrows();
    const bug = new Error('onRetry bug');
    const onRetry = () => {
      throw bug;
    };
    const call = failing(2, 'EINTR', 'sync value');
    expect(retryInterrupted(call.fn, { onRetry })).toBe('sync value');
    expect(call.calls()).toBe(3);
    let calls = 0;
    const async = retryInterrupted(
      async () => {
        if (++calls < 2) throw Object.assign(new Error('EAGAIN'), { code: 'EAGAIN' });
        return 'async value';
      },
      { onRetry },
    );
    await expect(async).resolves.toBe('async value');
    await nextTurn();
    expect(thrown).toEqual([bug, bug, bug]);
  });

  it('gives up with the same error and facts when onRetry throws', async () => {
    const thrown = nextTickThrows();
    const call = failing(10, 'EINTR', 1);
    const onRetry = () => {
      throw new Error('onRetry bug');
    };
    expect(() => retryInterrupted(call.fn, { attempts: 3, onRetry })).toThrow(
      expect.objectContaining({ code: 'EINTR', bulwark: { attempts: 3, retried: true, reason: 'attempts-exhausted' } }),
    );
    await nextTurn();
    expect(thrown).toHaveLength(2);
  });
});
