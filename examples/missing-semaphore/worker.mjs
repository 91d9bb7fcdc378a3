// A web worker of the host: three concurrent requests at a time, each calling a slow dependency
// through the shared bulkhead. The dependency counts its concurrent callers in its own shared memory.
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { resource } from '@bulwark/breaker';

const shm = createRequire(createRequire(import.meta.url).resolve('@bulwark/breaker'))('shm-typed-array');
const counter = shm.get(process.env.DEMO_COUNTER, 'Int32Array');
const db = resource(process.env.DEMO_RESOURCE, { tickets: 3, acquireTimeoutMs: 50, recreate: process.env.DEMO_RECREATE === '1' });
db.on('ipc-recreated', (event) => process.send({ event: 'ipc-recreated', ...event }));

async function slowDependency() {
  const now = Atomics.add(counter, 0, 1) + 1;
  for (let max = Atomics.load(counter, 1); now > max; max = Atomics.load(counter, 1))
    if (Atomics.compareExchange(counter, 1, max, now) === max) break;
  await sleep(30);
  Atomics.sub(counter, 0, 1);
}

let running = true;
async function request() {
  while (running) {
    try {
      await db.run(slowDependency);
    } catch (error) {
      if (error.code !== 'ERR_BULKHEAD_FULL') throw error;
      await sleep(5);
    }
  }
}

const requests = Array.from({ length: 3 }, request);
// A recycled worker finishes its requests and leaves, as a graceful restart does.
process.on('message', async (message) => {
  if (message !== 'stop') return;
  running = false;
  await Promise.all(requests);
  db.close();
  process.exit(0);
});
process.send({ ready: true });
