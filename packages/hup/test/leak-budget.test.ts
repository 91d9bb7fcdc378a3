import { type NodeChild, spawnNode, stopAll } from '@bulwark/test-rig';
import { afterEach, describe, expect, it } from 'vitest';
import type { LeakReport } from '../dist/index.js';
// The trend test is internal (not exported); its edge cases are checked on the source.
import { steadyGrowth } from '../src/leak-budget.js';
import { fixture } from './helpers.js';

const children: NodeChild[] = [];
afterEach(async () => void (await stopAll(children.splice(0))));

async function service(leak: string, nofile?: number): Promise<NodeChild> {
  const child = spawnNode(fixture('leaky.mjs'), { ipc: true, nofile, env: { LEAK: leak } });
  children.push(child);
  await child.line(/^ready/);
  return child;
}

type Driven = { driven: number; errorCode: string };
/** Runs `reloads` more reloads in the child; the IPC channel keeps its leak reports before this answer. */
async function drive(child: NodeChild, reloads: number): Promise<Driven> {
  const before = child.messages.length;
  child.send({ drive: reloads });
  return child.message<Driven>((m) => child.messages.indexOf(m) >= before && typeof (m as Driven).driven === 'number', 50_000);
}

/** The leak reports the child sent so far, in order. */
const leaks = (child: NodeChild) =>
  child.messages.flatMap((m) => ((m as { leak?: LeakReport }).leak ? [(m as { leak: LeakReport }).leak] : []));

describe('reload-leak budget, in a real process', () => {
  it('one fd leaked per HUP-driven reload is reported within 16 reloads, with reloadsLeft within 1% of the truth, as the README says', async () => {
    const child = await service('fd', 1024);
    let reloads = 0;
    while (leaks(child).length === 0 && reloads < 16) {
      child.kill('SIGHUP');
      await child.message((m: { reloaded?: number }) => m.reloaded === reloads + 1);
      reloads++;
    }
    const [leak] = leaks(child);
    expect(leak).toMatchObject({ resource: 'fd', limit: 1024, limitName: 'RLIMIT_NOFILE (soft)' });
    expect(leak!.reloads).toBeLessThanOrEqual(16);
    expect(leak!.growthPerReload).toBeCloseTo(1, 1);
    // The truth: keep reloading until the reload itself fails with EMFILE.
    const { driven, errorCode } = await drive(child, 2000);
    expect(errorCode).toBe('EMFILE');
    const truth = reloads - leak!.reloads + driven;
    expect(Math.abs(leak!.reloadsLeft! - truth) / truth).toBeLessThanOrEqual(0.01);
    expect(child.running).toBe(true);
  });

  it('1100 clean reloads (fds, timers, listeners opened and closed each time) raise nothing', async () => {
    const child = await service('none');
    for (let i = 0; i < 3; i++) {
      child.kill('SIGHUP');
      await child.message((m: { reloaded?: number }) => m.reloaded === i + 1);
    }
    const { driven, errorCode } = await drive(child, 1100);
    expect({ driven, errorCode }).toEqual({ driven: 1100, errorCode: 'none' });
    expect(leaks(child)).toEqual([]);
  });

  it('a listener added per reload is reported against process.getMaxListeners()', async () => {
    const child = await service('listener');
    await drive(child, 9);
    const leak = leaks(child).find((l) => l.resource.startsWith('listeners:'));
    expect(leak).toMatchObject({ resource: 'listeners:SIGUSR2', limit: 10, limitName: 'process.getMaxListeners()', growthPerReload: 1 });
    expect(leak!.reloadsLeft).toBe(10 - leak!.current);
  });

  it('an interval timer started per reload is reported as a growing resource with no fixed limit', async () => {
    const child = await service('timer');
    await drive(child, 12);
    const timers = leaks(child).find((l) => l.resource === 'resource:Timeout');
    expect(timers).toMatchObject({ growthPerReload: 1, limit: null, reloadsLeft: null });
  });
});

describe('the trend test (least squares over the window, plus steadiness)', () => {
  const line = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));

  it('finds a steady leak, also a slow one of one per three reloads', () => {
    expect(
      steadyGrowth(
        line(9, (i) => 30 + i),
        0.1,
      ),
    ).toBeCloseTo(1);
    expect(
      steadyGrowth(
        line(16, (i) => 30 + Math.floor(i / 3)),
        0.1,
      ),
    ).toBeGreaterThan(0.25);
  });

  it('ignores flat, jittery, and warm-up-then-flat series', () => {
    expect(
      steadyGrowth(
        line(16, () => 30),
        0.1,
      ),
    ).toBeUndefined();
    expect(
      steadyGrowth(
        line(16, (i) => 30 + (i % 2)),
        0.1,
      ),
    ).toBeUndefined();
    expect(
      steadyGrowth(
        line(16, (i) => 30 + ((i * 7) % 5)),
        0.1,
      ),
    ).toBeUndefined();
    expect(
      steadyGrowth(
        line(16, (i) => (i < 2 ? 30 : 36)),
        0.1,
      ),
    ).toBeUndefined();
    expect(steadyGrowth([30, 31, 30, 31, 32, 31, 30, 31, 32], 0.1)).toBeUndefined();
  });
});
