import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Cleanup, delay, unrefInterval, unrefTimeout } from '../dist/index.js';

describe('cleanup', () => {
  it('removes every listener it added, once, however often it runs', () => {
    const before = process.listenerCount('SIGHUP');
    const cleanup = new Cleanup();
    cleanup.listen(process, 'SIGHUP', () => {});
    cleanup.listen(process, 'SIGHUP', () => {});
    expect(process.listenerCount('SIGHUP')).toBe(before + 2);
    cleanup.run();
    cleanup.run();
    expect(process.listenerCount('SIGHUP')).toBe(before);
    expect(cleanup.done).toBe(true);
  });

  it('undoes in reverse order and still runs every task when one throws', () => {
    const order: string[] = [];
    const cleanup = new Cleanup();
    cleanup.defer(() => order.push('first'));
    cleanup.defer(() => {
      throw new Error('boom');
    });
    cleanup.defer(() => order.push('last'));
    expect(() => cleanup.run()).toThrow('boom');
    expect(order).toEqual(['last', 'first']);
  });

  it('runs a task added after close at once', () => {
    const cleanup = new Cleanup();
    cleanup.run();
    const emitter = new EventEmitter();
    cleanup.listen(emitter, 'x', () => {});
    expect(emitter.listenerCount('x')).toBe(0);
  });

  it('clears the timers it was given', () => {
    const cleanup = new Cleanup();
    let fired = false;
    cleanup.timer(unrefTimeout(() => (fired = true), 10));
    cleanup.run();
    return delay(30).then(() => expect(fired).toBe(false));
  });
});

describe('timers', () => {
  it('never hold the process open', () => {
    const timeout = unrefTimeout(() => {}, 60_000);
    const interval = unrefInterval(() => {}, 60_000);
    expect(timeout.hasRef()).toBe(false);
    expect(interval.hasRef()).toBe(false);
    clearTimeout(timeout);
    clearInterval(interval);
  });

  it('delay resolves after the time with real timers', async () => {
    const started = performance.now();
    await delay(20);
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
  });
});
