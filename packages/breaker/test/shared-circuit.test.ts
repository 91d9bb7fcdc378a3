import { afterEach, describe, expect, it } from 'vitest';
import { C, Host, sleep } from './host.js';

let host: Host | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
});

const RESET_MS = 500;
const circuit = { errorThresholdPercentage: 50, volumeThreshold: 3, resetTimeout: RESET_MS, timeout: false as const };
type StateEvent = { state: string; at: number };

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

/** Calls that reached the failing dependency from four processes in about `ms` while open, and the real window. */
async function callsWhileOpen(shareCircuit: boolean, ms: number): Promise<{ calls: number; windowMs: number }> {
  host = new Host('trial', { options: { tickets: 10, shareCircuit, circuit }, loops: 1, pauseMs: 5, failing: true });
  const workers = await host.spawn(4);
  await host.start();
  await until(() => workers.every((w) => host!.events<StateEvent>(w, 'state').some((e) => e.state === 'open')));
  const started = Date.now();
  Atomics.store(host.counter, C.calls, 0);
  await sleep(ms);
  const calls = Atomics.load(host.counter, C.calls);
  const windowMs = Date.now() - started;
  await host.close();
  host = undefined;
  return { calls, windowMs };
}

describe.each(['posix', 'sysv'] as const)('shared circuit over %s', (ipc) => {
  // Wide margin for a busy 2-core machine: the 100 ms target is measured in bench/breaker.mjs.
  it('opens in every process within a second when it opens in one (100 ms target: bench/breaker.mjs)', async () => {
    host = new Host('open', { options: { tickets: 10, ipc, shareCircuit: true, circuit }, loops: 1, pauseMs: 5, failing: true });
    const workers = await host.spawn(4);
    await host.start([workers[0]!]); // only one process meets the failing dependency
    const opened = () => workers.map((w) => host!.events<StateEvent>(w, 'state').find((e) => e.state === 'open'));
    await until(() => opened().every(Boolean));
    const [first, ...others] = opened().map((e) => e!.at);
    for (const at of others) expect(at - first!).toBeLessThan(1_000);
  });

  it('closes in every process once the host trial succeeds', async () => {
    host = new Host('close', { options: { tickets: 10, ipc, shareCircuit: true, circuit }, loops: 1, pauseMs: 5, failing: true });
    const workers = await host.spawn(4);
    await host.start();
    await until(() => workers.every((w) => host!.events<StateEvent>(w, 'state').some((e) => e.state === 'open')));
    Atomics.store(host.counter, C.healthy, 1);
    await until(() => workers.every((w) => host!.events<StateEvent>(w, 'state').at(-1)?.state === 'closed'), 3 * RESET_MS + 2_000);
    const halfOpen = workers.filter((w) => host!.events<StateEvent>(w, 'state').some((e) => e.state === 'half-open'));
    expect(halfOpen.length).toBeGreaterThanOrEqual(1);
  });
});

describe('half-open trial', () => {
  it('passes to another process when the one sending it is killed', async () => {
    // The dependency recovers but answers slowly: the trial hangs until its sender dies.
    host = new Host('trial-death', {
      options: { tickets: 10, shareCircuit: true, circuit },
      loops: 1,
      pauseMs: 5,
      failing: true,
      holdMs: 60_000,
    });
    const workers = await host.spawn(4);
    await host.start();
    await until(() => workers.every((w) => host!.events<StateEvent>(w, 'state').some((e) => e.state === 'open')));
    Atomics.store(host.counter, C.healthy, 1);
    const halfOpen = (w: (typeof workers)[number]) => host!.events<StateEvent>(w, 'state').some((e) => e.state === 'half-open');
    await until(() => workers.some(halfOpen));
    const sender = workers.find(halfOpen)!;
    expect(workers.filter(halfOpen)).toHaveLength(1);
    sender.kill('SIGKILL');
    await until(() => workers.some((w) => w !== sender && halfOpen(w)), RESET_MS + 2_000);
    expect(workers.filter((w) => w !== sender && halfOpen(w))).toHaveLength(1);
  });

  it('passes to another process once it has hung for resetTimeout, so the host circuit closes although the first trial never settles', async () => {
    // opossum's timeout is off, as in the bulwark umbrella's mysql defaults: nothing ends the hung trial.
    host = new Host('trial-hung', {
      options: { tickets: 10, shareCircuit: true, circuit },
      loops: 1,
      pauseMs: 5,
      failing: true,
      holdMs: 5,
    });
    const [hung, other] = await host.spawn(2);
    await host.start([hung!]); // only this process meets the failing dependency and so sends the trial
    await until(() => [hung!, other!].every((w) => host!.events<StateEvent>(w, 'state').some((e) => e.state === 'open')));
    await host.ask(hung!, { cmd: 'hang' }, 'hanging');
    Atomics.store(host.counter, C.healthy, 1);
    const halfOpenAt = (w: typeof hung) => host!.events<StateEvent>(w!, 'state').find((e) => e.state === 'half-open')?.at;
    await until(() => halfOpenAt(hung) !== undefined, RESET_MS + 5_000);
    await host.start([other!]);
    await until(() => host!.events<StateEvent>(other!, 'state').at(-1)?.state === 'closed', 2 * RESET_MS + 5_000);
    expect(halfOpenAt(other)! - halfOpenAt(hung)!).toBeGreaterThanOrEqual(RESET_MS - 100); // not before the bound
    expect(await host.ask(other!, { cmd: 'try' }, 'tried')).toBe('ok');
    await until(() => host!.events<StateEvent>(hung!, 'state').at(-1)?.state === 'closed', 3_000); // the hung process follows the host
  });

  it('is sent by one process of the host only: four processes, one call per reset timeout', async () => {
    const shared = await callsWhileOpen(true, 4 * RESET_MS + 200);
    const apart = await callsWhileOpen(false, 4 * RESET_MS + 200);
    // About one trial per reset timeout for the host, against about one per process without sharing.
    expect(shared.calls).toBeGreaterThanOrEqual(1);
    expect(shared.calls).toBeLessThanOrEqual(Math.ceil(shared.windowMs / RESET_MS) + 1);
    expect(apart.calls).toBeGreaterThan(shared.calls + 4);
  });
});
