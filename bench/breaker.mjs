// bench/breaker: a host-wide ticket pair (acquire+release) against Semian's primitive, a SysV
// semaphore pair from C, uncontended and with four processes; cockatiel's and opossum's in-process
// bulkheads as further anchors; run() against a bare opossum fire(); and how fast the host reacts
// (shared open seen by other processes, dead holder's tickets back, vanished IPC re-created) against
// the targets, which the tests only check with wide margins. Same run, as ratios.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resource } from '@bulwark/breaker';
import { bulkhead } from 'cockatiel';
import CircuitBreaker from 'opossum';
import { findCommand } from '@bulwark/test-rig';
import { median, nsPerCall, percentile, printTable } from './report.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const PAIRS = 1_000_000;
const uid = process.getuid();

function sysvPair(procs) {
  const cc = findCommand('cc') ?? findCommand('gcc');
  if (!cc) return undefined;
  mkdirSync(here('./native/build'), { recursive: true });
  const bin = here('./native/build/sysv-sem');
  if (!existsSync(bin)) execFileSync(cc, ['-O2', '-o', bin, here('./native/sysv-sem.c')]);
  return Number(execFileSync(bin, [String(procs), String(procs === 1 ? PAIRS : PAIRS / 4), '4'], { encoding: 'utf8' }));
}

async function contended(ipc) {
  const name = `bench-contended-${process.pid}-${ipc}`;
  const children = Array.from({ length: 4 }, () =>
    spawn(process.execPath, [here('./fixtures/breaker-contender.mjs'), name, ipc, String(PAIRS / 4)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  const outputs = await Promise.all(
    children.map(async (child) => {
      let out = '';
      child.stdout.on('data', (chunk) => (out += chunk));
      await once(child, 'close');
      return Number(out);
    }),
  );
  rmSync(`/dev/shm/bulwark.${uid}.${name}`, { force: true });
  return outputs.reduce((a, b) => a + b, 0) / outputs.length;
}

function uncontended(ipc) {
  const res = resource(`bench-pair-${process.pid}-${ipc}`, { tickets: 4, ipc });
  const ns = median(5, () => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < PAIRS; i++) if (res.tryAcquire()) res.release();
    return Number(process.hrtime.bigint() - started) / PAIRS;
  });
  return ns.finally(() => {
    res.close();
    rmSync(`/dev/shm/bulwark.${uid}.${res.name}`, { force: true });
  });
}

const noop = () => undefined;

/** Medians of `measures` taken in turns, the order flipped every round, so both see the same machine. */
async function interleavedMedians(runs, measures) {
  const values = measures.map(() => []);
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? measures.map((_, j) => j) : measures.map((_, j) => measures.length - 1 - j);
    for (const j of order) values[j].push(await measures[j]());
  }
  return values.map((v) => percentile(v, 50));
}
// run() against opossum alone first, before other breakers make opossum's call sites megamorphic:
// without opossum's timeout (the mysql flag's setting) and with its default 10 s timer per call.
const work = async () => undefined;
async function runAgainstFire(circuit, label, id) {
  const res = resource(`bench-run-${process.pid}-${id}`, { tickets: 4, circuit });
  const bare = new CircuitBreaker(work, circuit);
  const [opossumNs, runNs] = await interleavedMedians(16, [
    () => nsPerCall(() => bare.fire(), 100_000),
    () => nsPerCall(() => res.run(work), 100_000),
  ]);
  res.close();
  rmSync(`/dev/shm/bulwark.${uid}.${res.name}`, { force: true });
  bare.shutdown();
  return {
    name: `resource.run(work), ${label}`,
    value: runNs,
    unit: 'ns',
    anchor: 'opossum alone: fire()',
    anchorValue: opossumNs,
    target: '<= 1.1',
  };
}
const runRows = [
  await runAgainstFire({ timeout: false }, 'timeout: false', 'untimed'),
  await runAgainstFire({}, "opossum's default timeout", 'timed'),
];

const pairs = [];
const sem1 = sysvPair(1);
const sem4 = sysvPair(4);
for (const ipc of ['posix', 'sysv']) {
  pairs.push({
    name: `ticket pair, ${ipc}, 1 process`,
    value: await uncontended(ipc),
    unit: 'ns',
    anchor: 'SysV semop pair, 1 process',
    anchorValue: sem1,
    target: '<= 0.1',
  });
  pairs.push({
    name: `ticket pair, ${ipc}, 4 processes`,
    value: await contended(ipc),
    unit: 'ns',
    anchor: 'SysV semop pair, 4 processes',
    anchorValue: sem4,
    target: '<= 0.1',
  });
}
if (sem1 === undefined) console.log('no C compiler (cc): install gcc to measure the SysV semaphore reference');

const cockatiel = bulkhead(4, 0);
const capacity = new CircuitBreaker(async () => undefined, { capacity: 4, timeout: false });
const inProcess = [
  {
    name: 'cockatiel bulkhead(4).execute(noop)',
    value: await median(5, () => nsPerCall(() => cockatiel.execute(noop), 200_000)),
    unit: 'ns',
  },
  { name: 'opossum { capacity: 4 }.fire(noop)', value: await median(5, () => nsPerCall(() => capacity.fire(), 200_000)), unit: 'ns' },
  ...runRows,
];
capacity.shutdown();

// ---- reaction times of the host (the tests check these with wide margins only)

const circuitOptions = { errorThresholdPercentage: 1, volumeThreshold: 1, resetTimeout: 60_000, timeout: false };
let round = 0;

/** Starts a peer process and resolves once it has opened the resource; `lines` yields its later output. */
async function peer(name, role) {
  const child = spawn(process.execPath, [here('./fixtures/breaker-peer.mjs'), name, role], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, BENCH_CIRCUIT: JSON.stringify(circuitOptions) },
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  await lines.next(); // 'ready'
  return { child, lines };
}

function openHere(what) {
  const name = `bench-${what}-${process.pid}-${round++}`;
  const res = resource(name, { tickets: 1, shareCircuit: true, circuit: circuitOptions });
  return { res, done: () => (res.close(), rmSync(`/dev/shm/bulwark.${uid}.${name}`, { force: true })) };
}

/** ms from this process opening the shared circuit until the last of three other processes sees it open. */
async function openSeenMs() {
  const { res, done } = openHere('follow');
  const peers = await Promise.all([0, 1, 2].map(() => peer(res.name, 'follow')));
  const openedAt = new Promise((resolve) => res.on('state', ({ state }) => state === 'open' && resolve(Date.now())));
  await res.run(() => Promise.reject(new Error('down'))).catch(() => {});
  const seen = await Promise.all(peers.map(async ({ lines }) => Number((await lines.next()).value.split(' ')[1])));
  done();
  return Math.max(...seen) - (await openedAt);
}

/** Awaits `promise` with a timer held: bulwark's own timers never hold the process open. */
async function held(promise) {
  const timer = setInterval(() => {}, 1_000);
  try {
    return await promise;
  } finally {
    clearInterval(timer);
  }
}

/** ms from SIGKILL of a process holding the only ticket until this process takes it back. */
async function reclaimMs() {
  const { res, done } = openHere('reclaim');
  const holder = await peer(res.name, 'hold');
  const reclaimed = once(res, 'tickets-reclaimed');
  const killedAt = Date.now();
  holder.child.kill('SIGKILL');
  await held(reclaimed);
  done();
  return Date.now() - killedAt;
}

/** ms from removing the POSIX object until this process has re-created it. */
async function recreateMs() {
  const { res, done } = openHere('recreate');
  const recreated = once(res, 'ipc-recreated');
  const removedAt = Date.now();
  rmSync(`/dev/shm/bulwark.${uid}.${res.name}`);
  await held(recreated);
  done();
  return Date.now() - removedAt;
}

const targetRow = (name, value, targetMs) => ({
  name,
  value,
  unit: 'ms',
  anchor: 'target from the issue',
  anchorValue: targetMs,
  target: '<= 1',
});
const reactions = [
  targetRow('shared open seen by 3 other processes (median of 5)', await median(5, openSeenMs), 100),
  targetRow("SIGKILLed holder's tickets back (median of 5)", await median(5, reclaimMs), 1_000),
  targetRow('vanished POSIX segment re-created (median of 5)', await median(5, recreateMs), 1_000),
];

printTable('breaker: host-wide ticket pair (acquire+release) vs a SysV semaphore pair (Semian)', pairs);
printTable('breaker: per call, in-process anchors and run() vs opossum alone', inProcess);
printTable('breaker: host reaction times against the issue targets', reactions);
