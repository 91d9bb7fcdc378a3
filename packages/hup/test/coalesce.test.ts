import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setTimeout as realSleep } from 'node:timers/promises';
// The coalescing state machine is internal; the built bundle keeps it behind onHup, so the test
// drives it through the guard with process.emit('SIGHUP'), which runs the same listener a real
// signal does.
import { onHup } from '../dist/index.js';

function recorder(durationMs = 0) {
  const runs: number[] = [];
  let concurrent = 0;
  let most = 0;
  const reload = async ({ signals }: { signals: number }) => {
    most = Math.max(most, ++concurrent);
    runs.push(signals);
    if (durationMs) await new Promise((r) => setTimeout(r, durationMs));
    concurrent--;
  };
  return { runs, reload, most: () => most };
}

const hup = () => process.emit('SIGHUP', 'SIGHUP');

describe('coalescing (fake timers)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('waits for coalesceMs of quiet after the last HUP, then reloads once with every HUP absorbed', async () => {
    const r = recorder();
    using _guard = onHup(r.reload, { coalesceMs: 100 });
    hup();
    await vi.advanceTimersByTimeAsync(90);
    hup();
    await vi.advanceTimersByTimeAsync(90);
    hup();
    expect(r.runs).toEqual([]);
    await vi.advanceTimersByTimeAsync(100);
    expect(r.runs).toEqual([3]);
  });

  it('reloads after maxDelayMs even when HUPs never stop', async () => {
    const r = recorder();
    using _guard = onHup(r.reload, { coalesceMs: 100, maxDelayMs: 300 });
    for (let t = 0; t < 250; t += 50) {
      hup();
      await vi.advanceTimersByTimeAsync(50);
    }
    expect(r.runs).toHaveLength(0);
    hup();
    await vi.advanceTimersByTimeAsync(60);
    expect(r.runs).toEqual([6]);
  });

  it('turns any number of HUPs during a reload into exactly one more reload, after it', async () => {
    const r = recorder(1000);
    using _guard = onHup(r.reload, { coalesceMs: 50 });
    hup();
    await vi.advanceTimersByTimeAsync(60);
    expect(r.runs).toEqual([1]);
    for (let i = 0; i < 7; i++) {
      hup();
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(r.runs).toEqual([1]);
    await vi.advanceTimersByTimeAsync(2000);
    expect(r.runs).toEqual([1, 7]);
    expect(r.most()).toBe(1);
  });

  it('a burst of 50 HUPs arms one timer and reschedules it, still reloading by maxDelayMs', async () => {
    const r = recorder();
    using _guard = onHup(r.reload, { coalesceMs: 100, maxDelayMs: 300 });
    const armed = vi.spyOn(globalThis, 'setTimeout');
    for (let i = 0; i < 50; i++) {
      hup();
      await vi.advanceTimersByTimeAsync(5);
    }
    expect(armed).toHaveBeenCalledTimes(1);
    armed.mockRestore();
    expect(r.runs).toEqual([]);
    await vi.advanceTimersByTimeAsync(60); // 310 ms after the first HUP; quiet time alone would wait to 345
    expect(r.runs).toEqual([50]);
  });

  it('does nothing without a HUP, and nothing after close()', async () => {
    const r = recorder();
    const guard = onHup(r.reload, { coalesceMs: 50 });
    await vi.advanceTimersByTimeAsync(1000);
    hup();
    guard.close();
    await vi.advanceTimersByTimeAsync(1000);
    expect(r.runs).toEqual([]);
  });

  it('a reload that hangs past timeoutMs is reported at once, and the next burst reloads only after it ended', async () => {
    const errors: string[] = [];
    let calls = 0;
    const reload = ({ signal }: { signal: AbortSignal }) =>
      ++calls === 1 ? new Promise<void>((resolve) => signal.addEventListener('abort', () => setTimeout(resolve, 100))) : undefined;
    using guard = onHup(reload, { coalesceMs: 10, timeoutMs: 500 });
    guard.on('reload-error', (e) => errors.push(e.reason));
    hup();
    await vi.advanceTimersByTimeAsync(520);
    expect(errors).toEqual(['timeout']);
    hup();
    await vi.advanceTimersByTimeAsync(40);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toBe(2);
  });
});

describe('coalescing (real timers)', () => {
  it('a burst of HUPs within coalesceMs becomes one reload after real quiet time', async () => {
    const r = recorder();
    using _guard = onHup(r.reload, { coalesceMs: 250 });
    for (let i = 0; i < 5; i++) {
      hup();
      await realSleep(5);
    }
    expect(r.runs).toEqual([]);
    await realSleep(1000);
    expect(r.runs).toEqual([5]);
  });

  it('a burst arms one real timer, rescheduled by refresh(), and reloads once after the quiet time', async () => {
    const r = recorder();
    using _guard = onHup(r.reload, { coalesceMs: 50 });
    const armed = vi.spyOn(globalThis, 'setTimeout');
    for (let i = 0; i < 20; i++) hup();
    expect(armed).toHaveBeenCalledTimes(1);
    armed.mockRestore();
    await realSleep(300);
    expect(r.runs).toEqual([20]);
  });

  it('a steady stream reloads by maxDelayMs with real timers', async () => {
    const r = recorder();
    using _guard = onHup(r.reload, { coalesceMs: 80, maxDelayMs: 200 });
    const ends = Date.now() + 1000;
    while (Date.now() < ends) {
      hup();
      await realSleep(10);
    }
    expect(r.runs.length).toBeGreaterThanOrEqual(2);
  });

  it('a reload that hangs past timeoutMs is reported with real timers', async () => {
    const errors: string[] = [];
    // Ends once aborted: a reload that never ends would hold this process's reload lock for good.
    using guard = onHup(({ signal }) => new Promise((resolve) => signal.addEventListener('abort', resolve)), {
      coalesceMs: 0,
      timeoutMs: 100,
    });
    guard.on('reload-error', (e) => errors.push(e.reason));
    const outcome = await guard.reload();
    expect(outcome.ok).toBe(false);
    expect(errors).toEqual(['timeout']);
  });
});
