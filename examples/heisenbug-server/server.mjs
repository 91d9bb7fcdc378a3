// The service. Every request needs one of two session-store connections. A nightly job that fails
// forgets to give its connection back, twice: from then on every request waits forever, while the
// log ticks and every health figure measured on the event loop stays green.
import http from 'node:http';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { startWatchdog } from '@bulwark/watchdog';

const say = (type, data = {}) => console.log(JSON.stringify({ type, at: Date.now(), ...data }));
const mode = process.env.MODE ?? 'deaf';
const firstRun = process.env.GENERATION === '1';

class ConnectionPool {
  #free = 2;
  #waiting = [];
  acquire() {
    if (this.#free > 0) return (this.#free--, Promise.resolve());
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
  release() {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}
const pool = new ConnectionPool();

async function nightlyJob() {
  await pool.acquire();
  // The bug: an error skips release(); nothing else ever notices.
  throw new Error('export failed');
}

function rebuildSearchIndex() {
  // The other bug: a synchronous rebuild that never yields.
  let hash = 0;
  for (;;) hash = (hash * 31 + 7) | 0;
}

const server = http.createServer(async (req, res) => {
  await pool.acquire();
  res.end('ok\n');
  pool.release();
});

if (process.env.WATCHDOG === '1') {
  const watchdog = startWatchdog({
    stallMs: 500,
    probe: { server, timeoutMs: 300, intervalMs: 300, failures: 3 },
    onStall: 'exit',
    reportDir: process.env.REPORT_DIR,
  });
  watchdog.on('stall', (event) => say('stall', { kind: event.kind }));
}

// What in-loop monitors see (@fastify/under-pressure's checks: event-loop delay and utilization).
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
let elu = performance.eventLoopUtilization();
setInterval(() => {
  const now = performance.eventLoopUtilization(elu);
  elu = performance.eventLoopUtilization();
  const eldP99Ms = delay.percentile(99) / 1e6;
  say('tick', { eldP99Ms, elu: now.utilization, underPressure: eldP99Ms > 1000 || now.utilization > 0.98 });
}, 200);

server.listen(Number(process.env.PORT), '127.0.0.1', () => {
  say('listening', { pid: process.pid });
  if (!firstRun) return;
  setTimeout(() => {
    say('bug', { mode });
    if (mode === 'blocked') return rebuildSearchIndex();
    for (let i = 0; i < 2; i++) nightlyJob().catch(() => say('job-failed'));
  }, 1000);
});
