import { afterEach, describe, expect, it } from 'vitest';
import { Host, sleep } from './host.js';

let host: Host | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
});

describe.each(['posix', 'sysv'] as const)('host-wide bulkhead over %s shared memory', (ipc) => {
  it('never lets more holders than tickets run at once while four processes hammer it', async () => {
    host = new Host(`limit-${ipc}`, { options: { tickets: 3, ipc, acquireTimeoutMs: 20 }, loops: 3, holdMs: 5 });
    await host.spawn(4);
    await host.start();
    await sleep(2_000);
    await host.stop();
    expect(host.errors()).toEqual([]);
    expect(host.max()).toBe(3);
    expect(Atomics.load(host.counter, 2)).toBeGreaterThan(100);
  });

  // Wide margin for a busy machine: the "within one second" is measured in bench/breaker.mjs.
  it('takes back the tickets of a holder killed with SIGKILL within seconds (one second target: bench/breaker.mjs)', async () => {
    host = new Host(`reclaim-${ipc}`, { options: { tickets: 3, ipc, acquireTimeoutMs: 5_000 } });
    const [holder, waiter] = await host.spawn(2);
    expect(await host.ask(holder!, { cmd: 'hold', tickets: 3 }, 'holding')).toBe(3);
    const blocked = host.ask<string>(waiter!, { cmd: 'try' }, 'tried');
    await sleep(100);
    const killedAt = Date.now();
    holder!.kill('SIGKILL');
    expect(await blocked).toBe('ok');
    const reclaimed = host.events<{ pid: number; tickets: number; at: number }>(waiter!, 'tickets-reclaimed');
    expect(reclaimed).toEqual([expect.objectContaining({ pid: holder!.pid, tickets: 3 })]);
    expect(reclaimed[0]!.at - killedAt).toBeLessThan(3_000);
  });
});

describe('quota', () => {
  it('gives ceil(live workers x quota) tickets and shrinks when workers die', async () => {
    const quota = (host = new Host('quota', { options: { quota: 0.5, ipc: 'posix' } }));
    const workers = await quota.spawn(4);
    // The limit follows the live workers on each 250 ms tick.
    const tickets = async () => (await quota.info(workers[0]!)).tickets;
    await expect.poll(tickets, { timeout: 10_000 }).toBe(2);
    workers[2]!.kill('SIGKILL');
    workers[3]!.kill('SIGKILL');
    await expect.poll(tickets, { timeout: 10_000 }).toBe(1);
  });
});
