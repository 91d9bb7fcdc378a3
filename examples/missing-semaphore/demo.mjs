// The "semaphore missing" story, for real: four workers share a bulkhead of three tickets in front of
// a slow dependency; midway systemd-logind (RemoveIPC=yes) removes the user's shared memory, and two
// workers restart. Run once with re-creation off (the split) and once with it on (the fix).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { rmSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';

const shm = createRequire(createRequire(import.meta.url).resolve('@bulwark/breaker'))('shm-typed-array');
const uid = process.getuid();
const TICKETS = 3;

async function story(recreate) {
  const name = `missing-semaphore-${process.pid}-${recreate ? 'on' : 'off'}`;
  const counterName = `/bulwark-demo-counter.${name}`;
  const counter = shm.create(4, 'Int32Array', counterName, '600');
  const env = { ...process.env, DEMO_RESOURCE: name, DEMO_COUNTER: counterName, DEMO_RECREATE: recreate ? '1' : '0' };
  const workers = [];
  const crashes = [];
  let recreated = 0;
  const start = async () => {
    const worker = fork(new URL('./worker.mjs', import.meta.url), { env, stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
    let stderr = '';
    worker.stderr.on('data', (chunk) => (stderr += chunk));
    worker.on('message', (m) => m.event === 'ipc-recreated' && recreated++);
    worker.on(
      'exit',
      (code, signal) => worker.stopping || crashes.push(`worker ${worker.pid} exited ${code ?? signal}: ${stderr.trim().split('\n')[0]}`),
    );
    workers.push(worker);
    await once(worker, 'message');
    return worker;
  };
  for (let i = 0; i < 4; i++) await start();
  await sleep(1_500);
  const before = Atomics.load(counter, 1);
  // systemd-logind: the service user logged out, RemoveIPC=yes unlinks its /dev/shm objects.
  unlinkSync(`/dev/shm/bulwark.${uid}.${name}`);
  // The service recycles two workers, as it does all day; the new ones start on an empty /dev/shm.
  const recycled = workers.splice(0, 2);
  for (const worker of recycled) {
    worker.stopping = true;
    worker.send('stop');
  }
  await Promise.all([...recycled.map((w) => once(w, 'exit')), start(), start()]);
  await sleep(1_000); // re-creation and convergence take under a second
  Atomics.store(counter, 1, Atomics.load(counter, 0));
  await sleep(2_000);
  const after = Atomics.load(counter, 1);
  for (const worker of workers) {
    worker.stopping = true;
    worker.kill('SIGKILL');
  }
  rmSync(`/dev/shm${counterName}`, { force: true });
  rmSync(`/dev/shm/bulwark.${uid}.${name}`, { force: true });
  return { before, after, crashes, recreated };
}

const without = await story(false);
console.log(
  `without guard: IPC removed midway; ${without.crashes.length} crashed workers; ` +
    `up to ${without.after} concurrent calls to the dependency after removal (limit ${TICKETS}, before removal ${without.before})`,
);
const withGuard = await story(true);
console.log(
  `with guard: IPC removed midway; ${withGuard.crashes.length} crashed workers; ${withGuard.recreated} ipc-recreated events; ` +
    `up to ${withGuard.after} concurrent calls after convergence (limit ${TICKETS}, before removal ${withGuard.before})`,
);
for (const crash of [...without.crashes, ...withGuard.crashes]) console.error(crash);
const showedFailure = without.after > TICKETS || without.crashes.length > 0;
const showedFix = withGuard.after <= TICKETS && withGuard.crashes.length === 0 && withGuard.recreated > 0;
process.exit(showedFailure && showedFix ? 0 : 1);
