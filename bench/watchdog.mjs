// @bulwark/watchdog against the same service bare, against the floor its design sits on (a bare
// worker thread, a timer tick, one probe a second) and against Sentry's detector
// (@sentry/node-native eventLoopBlockIntegration), each in its own child process, in the same run:
// idle CPU and RSS, throughput under load, and how fast each sees a blocked loop.
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentile, printTable } from './report.mjs';

const self = fileURLToPath(import.meta.url);

/** What each variant adds to the bare service. */
const variants = {
  bare: async () => {},
  // The floor: what any watchdog of this design pays at least.
  'floor: idle worker thread': async () => {
    const { Worker } = await import('node:worker_threads');
    new Worker("require('node:worker_threads').parentPort.on('message', () => {})", { eval: true }).unref();
  },
  'floor: timer tick 5/s': async () => void setInterval(() => {}, 200).unref(),
  'floor: 1 probe/s from a worker': async (server) => {
    const { Worker } = await import('node:worker_threads');
    const code = `const net = require('node:net');
      setInterval(() => { const s = net.connect(${server.address().port}, '127.0.0.1');
        s.on('data', () => s.destroy()).on('error', () => {}); s.write('GET / HTTP/1.1\\r\\nhost: x\\r\\nconnection: close\\r\\n\\r\\n'); }, 1000);`;
    new Worker(code, { eval: true }).unref();
  },
  'bulwark stallMs 400 + probe': async (server) =>
    (await import('@bulwark/watchdog')).startWatchdog({ stallMs: 400, probe: { server }, reportDir: process.env.REPORT_DIR }),
  'bulwark defaults + probe': async (server) =>
    (await import('@bulwark/watchdog')).startWatchdog({ probe: { server }, reportDir: process.env.REPORT_DIR }),
  'bulwark defaults, no probe': async () => (await import('@bulwark/watchdog')).startWatchdog({ reportDir: process.env.REPORT_DIR }),
  // Sentry's detector needs its SDK: the SDK alone is the anchor its detector's cost is read against.
  'sentry SDK only': async () => sentry(undefined),
  'sentry threshold 400': async () => sentry(400),
  'sentry threshold 1000 (default)': async () => sentry(1000),
};

/** Sentry's SDK with nothing but its event-loop-block detector, sending to the bench's loopback ingest. */
async function sentry(threshold) {
  const Sentry = await import('@sentry/node');
  const { eventLoopBlockIntegration } = await import('@sentry/node-native');
  const integrations = threshold === undefined ? [] : [eventLoopBlockIntegration({ threshold, maxEventsPerHour: 10 })];
  Sentry.init({ dsn: process.env.SENTRY_DSN, defaultIntegrations: false, integrations });
}

/** A small HTTP service with `variant` added. */
async function child(variant, task) {
  let hang = false;
  const server = http.createServer((req, res) => hang || res.end('ok'));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  await variants[variant](server);
  const send = (m) => console.log(JSON.stringify(m));
  send({ port: server.address().port });
  if (task === 'idle' || task === 'steady') {
    // `steady`: past the start's one-time work (JIT, the first requests, V8's memory reducer), as a long-running service.
    const [warmMs, windowMs] = task === 'idle' ? [2000, 6000] : [30_000, 30_000];
    await new Promise((resolve) => setTimeout(resolve, warmMs));
    const cpu = process.cpuUsage();
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const used = process.cpuUsage(cpu);
    send({ cpuPct: ((used.user + used.system) / 1000 / (performance.now() - started)) * 100, rssMb: process.memoryUsage.rss() / 2 ** 20 });
    process.exit(0);
  }
  // Late enough for Sentry's worker, which starts asynchronously, to be watching.
  if (task === 'block') setTimeout(() => send({ stuckAt: Date.now(), x: spin(4000) }), 5000);
  if (task === 'hang') setTimeout(() => send({ stuckAt: Date.now(), x: (hang = true) }), 5000);
  if (task === 'worker') {
    const { Worker } = await import('node:worker_threads');
    new Worker(self, { workerData: { variant }, name: 'resizer' }).on('message', send);
  }
}

/** An app worker thread, watched as each tool asks (Sentry: its SDK in the thread), that blocks. */
async function appWorker(variant) {
  const { parentPort } = await import('node:worker_threads');
  if (variant.startsWith('sentry')) await variants[variant]();
  else (await import('@bulwark/watchdog')).watchThread();
  setTimeout(() => parentPort.postMessage({ stuckAt: Date.now(), x: spin(4000) }), 5000);
}

function spin(ms) {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x = (x * 31 + 7) | 0;
  return x;
}

/** Receives Sentry's envelopes on loopback and notes when each arrived. */
async function sentryIngest() {
  const arrivals = [];
  const server = http.createServer((req, res) => {
    req.resume().on('end', () => {
      arrivals.push(Date.now());
      res.end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { dsn: `http://public@127.0.0.1:${server.address().port}/1`, arrivals, close: () => server.close() };
}

async function runChild(variant, task, env) {
  // Imported here, not at the top: the child (this same file) stays as light as the service it measures.
  const { spawnNode } = await import('@bulwark/test-rig');
  const child = spawnNode(self, { args: ['child', variant, task], env });
  const next = async (key) => JSON.parse((await child.line(new RegExp(`^\\{.*"${key}":.*$`), 120_000))[0]);
  return { child, next };
}

async function idle(variant, env, task = 'idle') {
  const c = await runChild(variant, task, env);
  const result = await c.next('cpuPct');
  await c.child.exited;
  return result;
}

/** Requests per second over keep-alive connections, bounded by `concurrency`, for `ms`. */
async function throughput(variant, env, ms = 3000, concurrency = 8) {
  const c = await runChild(variant, 'serve', env);
  const { port } = await c.next('port');
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const end = Date.now() + ms;
  let done = 0;
  const one = () =>
    new Promise((resolve) => http.get({ host: '127.0.0.1', port, agent }, (res) => res.resume().on('end', resolve)).on('error', resolve));
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        await one();
        done++;
      }
    }),
  );
  agent.destroy();
  c.child.kill('SIGKILL');
  await c.child.exited;
  return done / (ms / 1000);
}

/** bulwark: stall start to detection (from its report). Sentry: stall start to its event's arrival. */
async function detection(variant, task, env, ingest) {
  const reportDir = mkdtempSync(join(tmpdir(), 'bench-watchdog-'));
  const before = ingest.arrivals.length;
  const c = await runChild(variant, task, { ...env, REPORT_DIR: reportDir });
  // Printed once the loop runs again; the time in it was taken as the stall began.
  const { stuckAt } = await c.next('stuckAt');
  let detectMs;
  for (const end = Date.now() + 15_000; detectMs === undefined && Date.now() < end;) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    const files = readdirSync(reportDir).filter((f) => f.endsWith('.json'));
    if (files.length > 0) detectMs = Date.parse(JSON.parse(readFileSync(join(reportDir, files[0]), 'utf8')).detectedAt) - stuckAt;
    else if (ingest.arrivals.length > before) detectMs = ingest.arrivals[before] - stuckAt;
  }
  c.child.kill('SIGKILL');
  await c.child.exited;
  return detectMs ?? Number.NaN;
}

/** `--steady`: the idle cost 30 s after start, at the defaults and at stallMs 400, against bare and Sentry (≈ 13 min). */
async function steady(env) {
  const names = [
    'bare',
    'bulwark defaults + probe',
    'bulwark stallMs 400 + probe',
    'sentry SDK only',
    'sentry threshold 1000 (default)',
    'sentry threshold 400',
  ];
  const runs = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < 2; round++) for (const n of names) runs[n].push((await idle(n, env, 'steady')).cpuPct);
  // Paired by round: the machine's background work drifts over minutes.
  const added = (n, base = 'bare') =>
    percentile(
      runs[n].map((v, i) => v - runs[base][i]),
      50,
    );
  const row = (name, variant, goal, sentry) => {
    const ours = { name, value: added(variant), unit: '% core' };
    return [
      { ...ours, anchor: 'goal', anchorValue: goal, target: '<= 1' },
      { ...ours, anchor: `sentry detector ${sentry}`, anchorValue: added(`sentry threshold ${sentry}`, 'sentry SDK only'), target: '<= 1' },
    ];
  };
  printTable('watchdog: idle cost 30-60 s after start, added to a bare service (median of 2 rounds paired with bare)', [
    ...row('bulwark defaults + probe (0.5/s)', 'bulwark defaults + probe', 0.25, '1000 (default)'),
    ...row('bulwark stallMs 400 + probe (0.5/s)', 'bulwark stallMs 400 + probe', 0.5, '400'),
  ]);
}

async function main() {
  const ingest = await sentryIngest();
  const env = { SENTRY_DSN: ingest.dsn };
  if (process.argv.includes('--steady')) {
    await steady(env);
    return ingest.close();
  }
  const names = Object.keys(variants);
  const runs = Object.fromEntries(names.map((n) => [n, []]));
  // Alternating rounds; the lower of two: noise from other processes only ever adds CPU time.
  for (let round = 0; round < 2; round++) for (const n of names) runs[n].push(await idle(n, env));
  const low = (n, key) => Math.min(...runs[n].map((r) => r[key]));
  const bareCpu = low('bare', 'cpuPct');
  const bareRss = low('bare', 'rssMb');
  const added = names
    .filter((n) => n !== 'bare')
    .map((n) => ({ name: n, cpu: Math.max(0, low(n, 'cpuPct') - bareCpu), rss: Math.max(0, low(n, 'rssMb') - bareRss) }));
  const of = (n) => added.find((a) => a.name === n);
  // Sentry's detector alone: with it, minus its SDK without it.
  const detector = (n, key) => Math.max(0, of(n)[key] - of('sentry SDK only')[key]);
  // An idle healthy server is probed every max(stallMs, 2000) ms: half the 1/s floor probe.
  const floor400 = of('floor: timer tick 5/s').cpu + of('floor: 1 probe/s from a worker').cpu / 2;
  const floorDefault = of('floor: timer tick 5/s').cpu * (2 / 5) + of('floor: 1 probe/s from a worker').cpu / 2;
  printTable(`watchdog: idle cost added to a bare service (bare: ${bareCpu.toFixed(3)}% core, ${bareRss.toFixed(1)} MB RSS)`, [
    ...added.map((a) => ({ name: `CPU added: ${a.name}`, value: a.cpu, unit: '% core' })),
    {
      name: 'CPU, bulwark 400 + probe (5 beats/s, 0.5 probe/s)',
      value: of('bulwark stallMs 400 + probe').cpu,
      unit: '% core',
      anchor: 'floor: tick 5/s + probe 0.5/s',
      anchorValue: floor400,
      target: '<= 1.2',
    },
    {
      name: 'CPU, bulwark 400 + probe',
      value: of('bulwark stallMs 400 + probe').cpu,
      unit: '% core',
      anchor: 'goal',
      anchorValue: 0.5,
      target: '<= 1',
    },
    {
      name: 'CPU, bulwark 400 + probe',
      value: of('bulwark stallMs 400 + probe').cpu,
      unit: '% core',
      anchor: 'sentry detector 400',
      anchorValue: detector('sentry threshold 400', 'cpu'),
      target: '<= 1',
    },
    {
      name: 'CPU, bulwark defaults + probe (2 beats/s, 0.5 probe/s)',
      value: of('bulwark defaults + probe').cpu,
      unit: '% core',
      anchor: 'floor: tick 2/s + probe 0.5/s',
      anchorValue: floorDefault,
      target: '<= 1.2',
    },
    {
      name: 'CPU, bulwark defaults + probe',
      value: of('bulwark defaults + probe').cpu,
      unit: '% core',
      anchor: 'goal',
      anchorValue: 0.25,
      target: '<= 1',
    },
    {
      name: 'CPU, bulwark defaults + probe',
      value: of('bulwark defaults + probe').cpu,
      unit: '% core',
      anchor: 'sentry detector 1000',
      anchorValue: detector('sentry threshold 1000 (default)', 'cpu'),
      target: '<= 1',
    },
    {
      name: 'CPU, bulwark defaults, no probe',
      value: of('bulwark defaults, no probe').cpu,
      unit: '% core',
      anchor: 'sentry detector 1000',
      anchorValue: detector('sentry threshold 1000 (default)', 'cpu'),
      target: '<= 1',
    },
    ...added.map((a) => ({ name: `RSS added: ${a.name}`, value: a.rss, unit: 'MB' })),
    {
      name: 'RSS, bulwark defaults + probe',
      value: of('bulwark defaults + probe').rss,
      unit: 'MB',
      anchor: 'floor: idle worker',
      anchorValue: of('floor: idle worker thread').rss,
      target: '<= 1.2',
    },
    {
      name: 'RSS, bulwark defaults + probe',
      value: of('bulwark defaults + probe').rss,
      unit: 'MB',
      anchor: 'goal',
      anchorValue: 8,
      target: '<= 1',
    },
    {
      name: 'RSS, bulwark defaults + probe',
      value: of('bulwark defaults + probe').rss,
      unit: 'MB',
      anchor: 'sentry detector 1000',
      anchorValue: detector('sentry threshold 1000 (default)', 'rss'),
      target: '<= 1',
    },
  ]);
  const loaded = ['bare', 'bulwark defaults + probe', 'sentry SDK only', 'sentry threshold 1000 (default)'];
  const rps = Object.fromEntries(loaded.map((n) => [n, []]));
  for (let round = 0; round < 3; round++) for (const n of loaded) rps[n].push(await throughput(n, env));
  const mid = (values) => percentile(values, 50);
  printTable('watchdog: HTTP throughput under load (8 keep-alive connections), each against the bare service', [
    {
      name: 'bulwark defaults + probe',
      value: mid(rps['bulwark defaults + probe']),
      unit: 'req/s',
      anchor: 'bare',
      anchorValue: mid(rps.bare),
      target: '>= 0.95',
    },
    {
      name: 'sentry threshold 1000',
      value: mid(rps['sentry threshold 1000 (default)']),
      unit: 'req/s',
      anchor: 'bare',
      anchorValue: mid(rps.bare),
    },
    {
      name: 'sentry threshold 1000',
      value: mid(rps['sentry threshold 1000 (default)']),
      unit: 'req/s',
      anchor: 'sentry SDK only',
      anchorValue: mid(rps['sentry SDK only']),
    },
  ]);
  const blocked = {
    bulwark: await detection('bulwark defaults + probe', 'block', env, ingest),
    sentry: await detection('sentry threshold 1000 (default)', 'block', env, ingest),
  };
  const worker = {
    bulwark: await detection('bulwark defaults + probe', 'worker', env, ingest),
    sentry: await detection('sentry threshold 1000 (default)', 'worker', env, ingest),
  };
  const deaf = await detection('bulwark defaults + probe', 'hang', env, ingest);
  const sentryDeaf = await detection('sentry threshold 1000 (default)', 'hang', env, ingest);
  ingest.close();
  printTable(
    'watchdog: detection (threshold 1000 ms for both; a 4 s busy loop on the main thread and in a worker, and handlers that stop answering)',
    [
      {
        name: 'blocked: stall start to detection, bulwark',
        value: blocked.bulwark,
        unit: 'ms',
        anchor: 'sentry (event received)',
        anchorValue: blocked.sentry,
        target: '<= 1',
      },
      {
        name: 'blocked: bulwark against stallMs + pollMs',
        value: blocked.bulwark,
        unit: 'ms',
        anchor: 'bound',
        anchorValue: 1500,
        target: '<= 1',
      },
      {
        name: 'blocked worker thread: stall start to detection, bulwark',
        value: worker.bulwark,
        unit: 'ms',
        anchor: 'sentry (event received)',
        anchorValue: worker.sentry,
        target: '<= 1',
      },
      {
        name: 'deaf: first unanswered request to detection, bulwark',
        value: deaf,
        unit: 'ms',
        anchor: '2 s interval + 3 probe timeouts',
        anchorValue: 5000,
        target: '<= 1',
      },
      { name: `deaf: sentry (NaN = not seen in 15 s)`, value: sentryDeaf, unit: 'ms' },
    ],
  );
}

const { isMainThread, workerData } = await import('node:worker_threads');
if (!isMainThread) await appWorker(workerData.variant);
else if (process.argv[2] === 'child') await child(process.argv[3], process.argv[4]);
else await main();
