import { execFileSync } from 'node:child_process';
import { unlinkSync } from 'node:fs';
import { requireCommand } from '@bulwark/test-rig';
import { afterEach, describe, expect, it } from 'vitest';
import { Host, type Info, sleep, uid } from './host.js';

let host: Host | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
});

/** Removes the resource's shared memory the way systemd-logind's RemoveIPC does. */
function removeIpc(ipc: 'posix' | 'sysv', name: string, info: Info): void {
  if (ipc === 'sysv') execFileSync(requireCommand('ipcrm'), ['-m', String(info.id)]);
  else unlinkSync(`/dev/shm/bulwark.${uid}.${name}`);
}

describe.each(['posix', 'sysv'] as const)('vanished %s IPC', (ipc) => {
  // Wide margin for a busy machine: the "within one second" is measured in bench/breaker.mjs.
  it('is re-created within seconds while four processes hammer it, and the ticket limit holds again (one second target: bench/breaker.mjs)', async () => {
    host = new Host(`vanish-${ipc}`, { options: { tickets: 3, ipc, acquireTimeoutMs: 20 }, loops: 3, holdMs: 5 });
    const workers = await host.spawn(4);
    await host.start();
    await sleep(500);
    const before = await host.info(workers[0]!);
    const removedAt = Date.now();
    removeIpc(ipc, host.name, before);
    // A worker that starts now, like a restarted one, finds no segment and creates a fresh one.
    const [late] = await host.spawn(1);
    await host.start([late!]);
    await sleep(3_200);
    for (const worker of workers) {
      const recreated = host.events<{ at: number; reregisteredTickets: number }>(worker, 'ipc-recreated');
      expect(recreated.length).toBeGreaterThanOrEqual(1);
      expect(recreated[0]!.at - removedAt).toBeLessThan(3_000);
    }
    const ids = new Set((await Promise.all(host.workers.map((w) => host!.info(w)))).map((i) => i.id));
    expect(ids.size).toBe(1); // the host converged on one segment
    expect([...ids][0]).not.toBe(before.id);
    host.resetMax();
    await sleep(1_500);
    await host.stop();
    expect(host.max()).toBeLessThanOrEqual(3);
    expect(host.errors()).toEqual([]);
  });

  it('splits the host silently when re-creation is off: the limit is lost', async () => {
    host = new Host(`split-${ipc}`, { options: { tickets: 3, ipc, acquireTimeoutMs: 20, recreate: false }, loops: 3, holdMs: 5 });
    const workers = await host.spawn(2);
    await host.start();
    await sleep(300);
    removeIpc(ipc, host.name, await host.info(workers[0]!));
    const late = await host.spawn(2);
    await host.start(late);
    host.resetMax();
    await sleep(1_500);
    await host.stop();
    expect(host.max()).toBeGreaterThan(3);
    expect(host.events(workers[0]!, 'ipc-recreated')).toEqual([]);
  });
});
