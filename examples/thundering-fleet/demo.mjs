// The thundering fleet, for real: three hosts of two workers each (separate processes, each host its
// own shared memory) call a database through a host-wide resource of 8 tickets. The database goes
// down, every host opens its circuit, then the database comes back. Without the fleet tier every
// host sends its own half-open trial and the fleet admits 3 x 8 calls at once; with it (one private
// redis-server), one trial for the whole fleet and never more than fleet.tickets (10) at once.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisServer } from '@bulwark/test-rig';

const shm = createRequire(createRequire(import.meta.url).resolve('@bulwark/breaker'))('shm-typed-array');
const uid = process.getuid();
const HOSTS = 3;
const WORKERS = 2;
const TICKETS = 8;
const FLEET_TICKETS = 10;
const RESET_MS = 500;
const C = { now: 0, max: 1, calls: 2, down: 3 };

async function story(redis) {
  const name = `thundering-fleet-${process.pid}-${redis ? 'fleet' : 'hosts'}`;
  const counterName = `/bulwark-demo-counter.${name}`;
  const counter = shm.create(4, 'Int32Array', counterName, '600');
  const workers = [];
  for (let host = 0; host < HOSTS; host++) {
    const options = {
      tickets: TICKETS,
      shareCircuit: true,
      circuit: { timeout: false, volumeThreshold: 5, errorThresholdPercentage: 50, resetTimeout: RESET_MS },
      ...(redis && { fleet: { redis: redis.url, tickets: FLEET_TICKETS, quorum: 2, leaseMs: 1_000, hostId: `host${host}` } }),
    };
    // Without the fleet the hosts are still three: three segments, as on three machines.
    const resourceName = redis ? name : `${name}-host${host}`;
    for (let w = 0; w < WORKERS; w++) {
      const worker = fork(new URL('./worker.mjs', import.meta.url), {
        env: { ...process.env, DEMO_WORKER: JSON.stringify({ name: resourceName, counter: counterName, options }) },
      });
      worker.states = [];
      worker.on('message', (m) => m.state && worker.states.push(m.state));
      workers.push(worker);
    }
  }
  await Promise.all(workers.map((w) => once(w, 'message')));
  await sleep(500);
  Atomics.store(counter, C.down, 1); // the database goes down
  while (!workers.every((w) => w.states.includes('open'))) await sleep(10);
  Atomics.store(counter, C.calls, 0);
  await sleep(3 * RESET_MS); // open: only half-open trials reach it
  const trials = Atomics.load(counter, C.calls);
  Atomics.store(counter, C.down, 0); // it comes back
  while (!workers.every((w) => w.states.at(-1) === 'closed')) await sleep(10);
  Atomics.store(counter, C.max, Atomics.load(counter, C.now));
  await sleep(1_500);
  const concurrent = Atomics.load(counter, C.max);
  for (const worker of workers) worker.send('stop');
  await Promise.all(workers.map((w) => (w.exitCode === null ? once(w, 'exit') : undefined)));
  rmSync(`/dev/shm${counterName}`, { force: true });
  for (let host = 0; host < HOSTS; host++) {
    rmSync(`/dev/shm/bulwark.${uid}.${name}-host${host}`, { force: true });
    rmSync(`/dev/shm/bulwark.${uid}.${name}@host${host}`, { force: true });
  }
  return { trials, concurrent };
}

const periods = 3;
const without = await story(undefined);
console.log(
  `without guard: ${HOSTS} hosts sent ${without.trials} half-open trials in ${periods} reset periods; ` +
    `up to ${without.concurrent} concurrent calls after recovery (${HOSTS} hosts x ${TICKETS} tickets)`,
);
const redis = await RedisServer.start();
let withFleet;
try {
  withFleet = await story(redis);
} finally {
  await redis.close();
}
console.log(
  `with guard: the fleet sent ${withFleet.trials} half-open trials in ${periods} reset periods; ` +
    `up to ${withFleet.concurrent} concurrent calls after recovery (fleet.tickets ${FLEET_TICKETS})`,
);
const showedFailure = without.trials > periods + 1 && without.concurrent > FLEET_TICKETS;
const showedFix = withFleet.trials <= periods + 1 && withFleet.concurrent <= FLEET_TICKETS;
process.exit(showedFailure && showedFix ? 0 : 1);
