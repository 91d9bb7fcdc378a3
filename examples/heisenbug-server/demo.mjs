// Runs the heisenbug server three times under its supervisor: without the watchdog (deaf, all
// green, requests time out), with it (deaf found, kicked, report, exit, restart), and a blocked run.
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@bulwark/test-rig';
import { supervise } from './supervisor.mjs';

function request(port) {
  const at = Date.now();
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, agent: false, timeout: 800 }, (res) => {
      res.resume();
      resolve({ at, ok: res.statusCode === 200 });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve({ at, ok: false, error: error.message }));
  });
}

/** Runs the supervised server with `env` until `done(state)` or `maxMs`, sending a request every 150 ms. */
async function run(env, maxMs, done) {
  const port = await freePort();
  const reportDir = mkdtempSync(join(tmpdir(), 'heisenbug-'));
  const state = { lines: [], exits: [], requests: [], reportDir };
  const server = supervise({ ...env, PORT: String(port), REPORT_DIR: reportDir });
  server.on('line', (line) => state.lines.push(line));
  server.on('exit', (exit) => state.exits.push(exit));
  const started = Date.now();
  const pending = [];
  while (Date.now() - started < maxMs && !done(state)) {
    if (state.lines.some((l) => l.type === 'listening')) pending.push(request(port).then((r) => state.requests.push(r)));
    await sleep(150);
  }
  await Promise.all(pending);
  server.stop();
  state.reports = readdirSync(reportDir).map((name) => JSON.parse(readFileSync(join(reportDir, name), 'utf8')));
  return state;
}

const bugAt = (s) => s.lines.find((l) => l.type === 'bug')?.at ?? Infinity;

// 1. Without the watchdog.
const without = await run({ MODE: 'deaf' }, 4500, () => false);
const afterBug = without.requests.filter((r) => r.at > bugAt(without) + 100);
const ticks = without.lines.filter((l) => l.type === 'tick' && l.at > bugAt(without));
const eld = Math.max(...ticks.map((t) => t.eldP99Ms));
const elu = Math.max(...ticks.map((t) => t.elu));
const green = ticks.every((t) => !t.underPressure);
const restarts = (s) => s.lines.filter((l) => l.type === 'listening' && l.generation > 1).length;
const answered = afterBug.filter((r) => r.ok).length;
console.log(
  `without guard: after the leak ${answered}/${afterBug.length} requests answered (the rest timed out at 800 ms) while the log ticked ${ticks.length} times; ` +
    `event-loop delay p99 <= ${eld.toFixed(1)} ms, ELU <= ${(elu * 100).toFixed(1)}%, under-pressure check ${green ? 'healthy every time' : 'tripped'}; ${restarts(without)} restarts`,
);

// 2. With the watchdog: deaf.
const restartedOk = (s) => s.requests.filter((r) => r.ok && s.exits.length > 0 && r.at > s.exits[0].at).length >= 5;
const deaf = await run({ MODE: 'deaf', WATCHDOG: '1' }, 15_000, restartedOk);
const deafReport = deaf.reports.find((r) => r.kind === 'deaf');
const exit = deaf.exits[0];
const relisten = deaf.lines.find((l) => l.type === 'listening' && l.generation === 2);
const okAfter = deaf.requests.filter((r) => exit && r.at > relisten?.at);

// 3. With the watchdog: blocked in a function that never yields.
const blocked = await run(
  { MODE: 'blocked', WATCHDOG: '1' },
  15_000,
  (s) => s.exits.length > 0 && s.lines.some((l) => l.generation === 2 && l.type === 'listening'),
);
const blockedReport = blocked.reports.find((r) => r.kind === 'blocked');
const blockedIn = blockedReport?.stack[0]?.split(' ')[0];

console.log(
  `with guard: deaf found ${deafReport ? Date.parse(deafReport.detectedAt) - bugAt(deaf) : '?'} ms after the leak, ` +
    `kick ${deafReport?.kick?.signal} ${deafReport?.kick?.helped ? 'helped' : 'did not help'}, report written, exited with code ${exit?.code}, ` +
    `restarted in ${relisten && exit ? relisten.at - exit.at : '?'} ms, then ${okAfter.filter((r) => r.ok).length}/${okAfter.length} requests answered; ` +
    `blocked run: report after ${blockedReport ? Date.parse(blockedReport.detectedAt) - bugAt(blocked) : '?'} ms names ${blockedIn}, exited with code ${blocked.exits[0]?.code} and restarted`,
);

const showedFailure = afterBug.length > 0 && answered === 0 && green && restarts(without) === 0;
const showedFix =
  deafReport?.kick?.helped === false &&
  exit?.code === 70 &&
  okAfter.length > 0 &&
  okAfter.every((r) => r.ok) &&
  blockedIn === 'rebuildSearchIndex' &&
  blocked.exits[0]?.code === 70;
if (!showedFailure || !showedFix) {
  console.error(JSON.stringify({ showedFailure, showedFix, deafReport, blockedReport, exits: deaf.exits }, null, 2));
  process.exit(1);
}
