// One worker of one host: calls the recovering database through the resource, as fast as it may.
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';

const shm = createRequire(createRequire(import.meta.url).resolve('@bulwark/breaker'))('shm-typed-array');
const { name, counter: counterName, options } = JSON.parse(process.env.DEMO_WORKER);
const counter = shm.get(counterName, 'Int32Array');
const C = { now: 0, max: 1, calls: 2, down: 3 };
// Without a fleet the worker loads the breaker alone, as a service without the fleet tier would.
const { resource } = await import(options.fleet ? '@bulwark/fleet' : '@bulwark/breaker');
const db = resource(name, options);
db.on('state', ({ state }) => process.send({ state }));

async function query() {
  Atomics.add(counter, C.calls, 1);
  if (Atomics.load(counter, C.down) === 1) throw new Error('ECONNREFUSED');
  const now = Atomics.add(counter, C.now, 1) + 1;
  for (let max = Atomics.load(counter, C.max); now > max; max = Atomics.load(counter, C.max))
    if (Atomics.compareExchange(counter, C.max, max, now) === max) break;
  await sleep(20); // a database just back from an outage answers slowly
  Atomics.sub(counter, C.now, 1);
}

let running = true;
process.on('message', () => (running = false));
const loops = Array.from({ length: 6 }, async () => {
  while (running) await db.run(query).catch(() => sleep(5));
});
process.send({ ready: true });
await Promise.all(loops);
await db.close();
process.exit(0);
