// @bulwark/watchdog: what it costs an idle service and a busy one, against the same service without
// it, measured in child processes in the same run; and how fast it detects and reports a stall.
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentile, printTable } from './report.mjs';

const self = fileURLToPath(import.meta.url);

if (process.argv[2] === 'child') await child(process.argv[3], process.argv[4]);
else await main();

/** A small HTTP service; `watchdog` = 'on' starts the watchdog with its defaults plus a probe. */
async function child(watchdog, task) {
  const { startWatchdog } = await import('@bulwark/watchdog');
  let hang = false;
  const server = http.createServer((req, res) => hang || res.end('ok'));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const reportDir = process.env.REPORT_DIR;
  if (watchdog === 'on') startWatchdog({ probe: { server }, reportDir, stallMs: Number(process.env.STALL_MS ?? 1000) });
  const send = (m) => console.log(JSON.stringify(m));
  send({ port: server.address().port });
  if (task === 'idle') {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const cpu = process.cpuUsage();
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 4000));
    const used = process.cpuUsage(cpu);
    send({ cpuPct: ((used.user + used.system) / 1000 / (performance.now() - started)) * 100, rssMb: process.memoryUsage.rss() / 2 ** 20 });
    process.exit(0);
  }
  if (task === 'block') setTimeout(() => send({ stuckAt: Date.now(), x: spin(3000) }), 1200);
  if (task === 'hang') setTimeout(() => send({ stuckAt: Date.now(), x: (hang = true) }), 1200);
}

function spin(ms) {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x = (x * 31 + 7) | 0;
  return x;
}

/** The bench's own child running `task`; `next(key)` resolves with the first JSON line that has `key`. */
async function runChild(watchdog, task, env = {}) {
  // Imported here, not at the top: the child (this same file) stays as light as the service it measures.
  const { spawnNode } = await import('@bulwark/test-rig');
  const child = spawnNode(self, { args: ['child', watchdog, task], env });
  const next = async (key) => JSON.parse((await child.line(new RegExp(`^\\{.*"${key}":.*$`), 60_000))[0]);
  return { child, next };
}

async function idle(watchdog) {
  const c = await runChild(watchdog, 'idle');
  const result = await c.next('cpuPct');
  await c.child.exited;
  return result;
}

/** Requests per second over keep-alive connections, bounded by `concurrency`, for `ms`. */
async function throughput(watchdog, ms = 3000, concurrency = 8) {
  const c = await runChild(watchdog, 'serve');
  const { port } = await c.next('port');
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const end = Date.now() + ms;
  let done = 0;
  const one = () => new Promise((resolve) => http.get({ host: '127.0.0.1', port, agent }, (res) => res.resume().on('end', resolve)).on('error', resolve));
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (Date.now() < end) {
      await one();
      done++;
    }
  }));
  agent.destroy();
  c.child.kill('SIGKILL');
  await c.child.exited;
  return done / (ms / 1000);
}

/** Time from the stall's start to detection, and from detection to the report file. */
async function detection(task, stallMs) {
  const reportDir = mkdtempSync(join(tmpdir(), 'bench-watchdog-'));
  const c = await runChild('on', task, { REPORT_DIR: reportDir, STALL_MS: String(stallMs) });
  const { stuckAt } = await c.next('stuckAt');
  let files = [];
  while (files.length === 0) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    files = readdirSync(reportDir);
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  const report = JSON.parse(readFileSync(join(reportDir, files[0]), 'utf8'));
  c.child.kill('SIGKILL');
  await c.child.exited;
  return { detectMs: Date.parse(report.detectedAt) - stuckAt, reportMs: Date.parse(report.writtenAt) - Date.parse(report.detectedAt) };
}

async function main() {
  const idleRuns = { off: [], on: [] };
  for (let round = 0; round < 2; round++) for (const w of ['off', 'on']) idleRuns[w].push(await idle(w));
  // The lower of two runs: noise from other processes only ever adds CPU time.
  const pick = (w, key) => Math.min(...idleRuns[w].map((r) => r[key]));
  const cpuOff = pick('off', 'cpuPct');
  const cpuOn = pick('on', 'cpuPct');
  const rssOff = pick('off', 'rssMb');
  const rssOn = pick('on', 'rssMb');
  const rps = { off: [], on: [] };
  // Alternating rounds, median of each: the machine is shared and one run varies by +-20%.
  for (let round = 0; round < 3; round++) for (const w of ['off', 'on']) rps[w].push(await throughput(w));
  const mid = (values) => percentile(values, 50);
  const blocked = await detection('block', 1000);
  const deaf = await detection('hang', 1000);
  printTable('watchdog: idle cost (stallMs 1000, probe every 1000 ms) and throughput, each against the same service without it', [
    { name: 'idle CPU, with watchdog', value: cpuOn, unit: '% core', anchor: 'without', anchorValue: cpuOff },
    { name: 'idle CPU added', value: Math.max(0, cpuOn - cpuOff), unit: '% core', anchor: 'budget', anchorValue: 0.5, target: '<= 1' },
    { name: 'RSS, with watchdog', value: rssOn, unit: 'MB', anchor: 'without', anchorValue: rssOff },
    { name: 'RSS added', value: Math.max(0, rssOn - rssOff), unit: 'MB', anchor: 'budget', anchorValue: 12, target: '<= 1' },
    { name: 'HTTP throughput (8 keep-alive conns)', value: mid(rps.on), unit: 'req/s', anchor: 'without', anchorValue: mid(rps.off), target: '>= 0.95' },
  ]);
  printTable('watchdog: detection (stallMs 1000, pollMs 200; deaf = 3 failed probes, 1000 ms apart)', [
    { name: 'blocked: stall start to detection', value: blocked.detectMs, unit: 'ms', anchor: 'stallMs + pollMs', anchorValue: 1200, target: '<= 1' },
    { name: 'blocked: detection to report (stack)', value: blocked.reportMs, unit: 'ms' },
    { name: 'deaf: first unanswered request to detection', value: deaf.detectMs, unit: 'ms', anchor: '3 probes + timeout', anchorValue: 4000, target: '<= 1' },
    { name: 'deaf: detection to report (kick + probe)', value: deaf.reportMs, unit: 'ms' },
  ]);
}
