// bench/fleet: run() with the fleet tier against the host-only resource (same run, interleaved), the
// Redis commands a host sends per second under a steady load against the calls it makes, how long a
// fleet open takes to reach every host against the 200 ms target, and how long a SIGKILLed host's
// lease takes to come back against one lease period.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { resource } from '@bulwark/fleet';
import { RedisServer } from '@bulwark/test-rig';
import { percentile, printTable } from './report.mjs';

const uid = process.getuid();
const CALLS = 10_000;
const redis = await RedisServer.start();
const fleetOf = (extra = {}) => ({ redis: redis.url, tickets: 64, leaseMs: 2_000, hostId: `bench${process.pid}`, ...extra });
const shmFiles = [];

try {
  const rows = [];
  const host = resource(`bench-host-${process.pid}`, { tickets: 32, shareCircuit: true, circuit: { timeout: false } });
  const fleet = resource(`bench-fleet-${process.pid}`, { tickets: 32, shareCircuit: true, circuit: { timeout: false }, fleet: fleetOf() });
  shmFiles.push(host.name, `${fleet.name}@bench${process.pid}`);
  await sleep(500); // the lease is in shared memory
  const noop = () => undefined;
  const timeRuns = async (res) => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i++) await res.run(noop);
    return Number(process.hrtime.bigint() - started) / CALLS;
  };
  await timeRuns(host);
  await timeRuns(fleet);
  // Many short turns, the order flipped each time, so that both see the same (shared, noisy) machine.
  const [hostNs, fleetNs] = [[], []];
  for (let round = 0; round < 40; round++) {
    const order =
      round % 2
        ? [
            [fleet, fleetNs],
            [host, hostNs],
          ]
        : [
            [host, hostNs],
            [fleet, fleetNs],
          ];
    for (const [res, into] of order) into.push(await timeRuns(res));
  }
  rows.push({
    name: 'run() with the fleet tier',
    value: percentile(fleetNs, 50),
    unit: 'ns',
    anchor: 'host-only run()',
    anchorValue: percentile(hostNs, 50),
    target: '<= 1.1',
  });
  // The ticket pair alone (no promise): where the fleet tier adds its one atomic load.
  const pairs = (res) => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < 200_000; i++) if (res.tryAcquire()) res.release();
    return Number(process.hrtime.bigint() - started) / 200_000;
  };
  const [hostPair, fleetPair] = [[], []];
  for (let round = 0; round < 40; round++) {
    const order =
      round % 2
        ? [
            [fleet, fleetPair],
            [host, hostPair],
          ]
        : [
            [host, hostPair],
            [fleet, fleetPair],
          ];
    for (const [res, into] of order) into.push(pairs(res));
  }
  rows.push({
    name: 'ticket pair with the fleet tier',
    value: percentile(fleetPair, 50),
    unit: 'ns',
    anchor: 'host-only pair',
    anchorValue: percentile(hostPair, 50),
    target: '<= 1.1',
  });

  // Steady load: one host calling as fast as it can; Redis counts what it was sent.
  // Round trips: the sync script's calls (the commands it runs inside are not sent over the network).
  const stat = async () => {
    const stats = await redis.cli('INFO', 'commandstats');
    return ['evalsha', 'eval'].reduce((sum, cmd) => sum + Number(stats.match(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`))?.[1] ?? 0), 0);
  };
  const before = await stat();
  const started = Date.now();
  let calls = 0;
  // A service's load: 32 requests in flight, each call's work an I/O turn of the loop.
  const io = () => new Promise(setImmediate);
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (Date.now() - started < 3_000) {
        await fleet.run(io);
        calls++;
      }
    }),
  );
  const seconds = (Date.now() - started) / 1_000;
  const commands = ((await stat()) - before) / seconds;
  rows.push({
    name: `Redis round trips/s, one host at ${Math.round(calls / seconds)} calls/s`,
    value: commands,
    unit: '/s',
    anchor: 'one sync per 100 ms',
    anchorValue: 10,
    target: '<= 1.1',
  });
  await Promise.all([host.close(), fleet.close()]);

  // Three hosts, quorum 1: one host's open reaches the others through Redis.
  const spawnHost = (name, options) => {
    const child = fork(fileURLToPath(new URL('./fixtures/fleet-host.mjs', import.meta.url)), [name, JSON.stringify(options)]);
    child.log = [];
    child.on('message', (m) => child.log.push(m));
    shmFiles.push(`${name}@${options.fleet.hostId}`);
    return child;
  };
  const reach = [];
  for (let round = 0; round < 5; round++) {
    const name = `bench-open-${process.pid}-${round}`;
    const circuit = { timeout: false, volumeThreshold: 5, errorThresholdPercentage: 50, resetTimeout: 60_000 };
    const hosts = [0, 1, 2].map((h) =>
      spawnHost(name, { tickets: 8, shareCircuit: true, circuit, fleet: fleetOf({ quorum: 1, hostId: `h${h}` }) }),
    );
    await Promise.all(hosts.map((h) => once(h, 'message')));
    await sleep(500);
    hosts[0].send('fail');
    const openAt = (h) => h.log.find((m) => m.state === 'open')?.at;
    while (!hosts.every(openAt)) await sleep(5);
    reach.push(Math.max(...hosts.map(openAt)) - openAt(hosts[0]));
    for (const h of hosts) h.kill('SIGKILL');
  }
  rows.push({
    name: 'fleet open reaching every host (median of 5)',
    value: percentile(reach, 50),
    unit: 'ms',
    anchor: 'target',
    anchorValue: 200,
    target: '<= 1',
  });

  // Two hosts share 8 fleet tickets (4 each); one is killed; the other's limit comes back to 8.
  const back = [];
  const leaseMs = 1_000;
  for (let round = 0; round < 3; round++) {
    const name = `bench-lease-${process.pid}-${round}`;
    const [victim, survivor] = [0, 1].map((h) =>
      spawnHost(name, { tickets: 8, shareCircuit: true, fleet: fleetOf({ tickets: 8, leaseMs, hostId: `h${h}` }) }),
    );
    const limit = () => survivor.log.filter((m) => m.tickets !== undefined).at(-1)?.tickets;
    while (limit() !== 4) await sleep(5);
    const killedAt = Date.now();
    victim.kill('SIGKILL');
    while (limit() !== 8) await sleep(5);
    back.push(survivor.log.at(-1).at - killedAt);
    survivor.kill('SIGKILL');
  }
  rows.push({
    name: "killed host's lease back (median of 3)",
    value: percentile(back, 50),
    unit: 'ms',
    anchor: 'leaseMs',
    anchorValue: leaseMs,
    target: '<= 1.2',
  });
  printTable('bench/fleet: the fleet tier (private redis-server; same run)', rows);
} finally {
  await redis.close();
  for (const name of shmFiles) rmSync(`/dev/shm/bulwark.${uid}.${name}`, { force: true });
}
process.exit(0);
