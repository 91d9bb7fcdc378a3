// bench/breaker: a host-wide ticket pair (acquire+release) against Semian's primitive, a SysV
// semaphore pair from C, uncontended and with four processes; cockatiel's and opossum's in-process
// bulkheads as further anchors; and run() against a bare opossum fire(). Same run, as ratios.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resource } from '@bulwark/breaker';
import { bulkhead } from 'cockatiel';
import CircuitBreaker from 'opossum';
import { median, nsPerCall, printTable } from './report.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const PAIRS = 1_000_000;
const uid = process.getuid();

function sysvPair(procs) {
  const cc = ['cc', 'gcc'].find((c) => { try { execFileSync('which', [c], { stdio: 'ignore' }); return true; } catch { return false; } });
  if (!cc) return undefined;
  mkdirSync(here('./native/build'), { recursive: true });
  const bin = here('./native/build/sysv-sem');
  if (!existsSync(bin)) execFileSync(cc, ['-O2', '-o', bin, here('./native/sysv-sem.c')]);
  return Number(execFileSync(bin, [String(procs), String(procs === 1 ? PAIRS : PAIRS / 4), '4'], { encoding: 'utf8' }));
}

async function contended(ipc) {
  const name = `bench-contended-${process.pid}-${ipc}`;
  const children = Array.from({ length: 4 }, () => spawn(process.execPath, [here('./breaker-contender.mjs'), name, ipc, String(PAIRS / 4)], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const outputs = await Promise.all(children.map(async (child) => {
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    await once(child, 'close');
    return Number(out);
  }));
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
  return values.map((v) => v.sort((a, b) => a - b)[Math.floor(v.length / 2)]);
}
// run() against opossum alone first, before other breakers make opossum's call sites megamorphic.
const posixRes = resource(`bench-run-${process.pid}`, { tickets: 4, circuit: { timeout: false } });
const work = async () => undefined;
const bare = new CircuitBreaker(work, { timeout: false });
const [opossumNs, runNs] = await interleavedMedians(16, [() => nsPerCall(() => bare.fire(), 100_000), () => nsPerCall(() => posixRes.run(work), 100_000)]);
const runRow = { name: 'resource.run(work): ticket + opossum', value: runNs, unit: 'ns', anchor: 'opossum alone: fire()', anchorValue: opossumNs, target: '<= 1.1' };
posixRes.close();
rmSync(`/dev/shm/bulwark.${uid}.${posixRes.name}`, { force: true });
bare.shutdown();

const pairs = [];
const sem1 = sysvPair(1);
const sem4 = sysvPair(4);
for (const ipc of ['posix', 'sysv']) {
  pairs.push({ name: `ticket pair, ${ipc}, 1 process`, value: await uncontended(ipc), unit: 'ns', anchor: 'SysV semop pair, 1 process', anchorValue: sem1, target: '<= 0.1' });
  pairs.push({ name: `ticket pair, ${ipc}, 4 processes`, value: await contended(ipc), unit: 'ns', anchor: 'SysV semop pair, 4 processes', anchorValue: sem4, target: '<= 0.1' });
}
if (sem1 === undefined) console.log('no C compiler (cc): install gcc to measure the SysV semaphore reference');

const cockatiel = bulkhead(4, 0);
const capacity = new CircuitBreaker(async () => undefined, { capacity: 4, timeout: false });
const inProcess = [
  { name: 'cockatiel bulkhead(4).execute(noop)', value: await median(5, () => nsPerCall(() => cockatiel.execute(noop), 200_000)), unit: 'ns' },
  { name: 'opossum { capacity: 4 }.fire(noop)', value: await median(5, () => nsPerCall(() => capacity.fire(), 200_000)), unit: 'ns' },
  runRow,
];
capacity.shutdown();

printTable('breaker: host-wide ticket pair (acquire+release) vs a SysV semaphore pair (Semian)', pairs);
printTable('breaker: per call, in-process anchors and run() vs opossum alone', inProcess);
