// bench/mysql: point-SELECT throughput through @bulwark/mysql against raw mysql2 on the same
// private MariaDB in the same run (target: >= 0.98 of raw), then both under 10% injected resets
// after the request and before the answer: success rate and p50/p99 latency.
import { createPool } from '@bulwark/mysql';
import { MariaDb, startFaultProxy } from '@bulwark/test-rig';
import mysql from 'mysql2/promise';
import { percentile, printTable } from './report.mjs';

const concurrency = 8;
const db = await MariaDb.start();
const proxy = await startFaultProxy(db);
const direct = { ...db.address, connectionLimit: concurrency };
const throughProxy = { ...direct, socketPath: undefined, host: proxy.host, port: proxy.port };

async function setup() {
  const admin = await mysql.createConnection(db.address);
  await admin.query('CREATE TABLE points (id INT PRIMARY KEY, v VARCHAR(20))');
  await admin.query("INSERT INTO points SELECT seq, CONCAT('v', seq) FROM seq_1_to_1000");
  await admin.end();
}

/** Queries per second with `concurrency` callers for `ms`. */
async function throughput(pool, ms) {
  let done = 0;
  const until = performance.now() + ms;
  const worker = async () => {
    while (performance.now() < until) {
      await pool.query('SELECT id, v FROM points WHERE id = ?', [1 + (done % 1000)]);
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return done / (ms / 1000);
}

/** Success rate (%) and latencies (ms) of `total` point SELECTs. */
async function underResets(pool, total) {
  const latencies = [];
  let ok = 0;
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const id = 1 + (next++ % 1000);
      const started = performance.now();
      await pool.query('SELECT id, v FROM points WHERE id = ?', [id]).then(() => ok++, () => {});
      latencies.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { success: (100 * ok) / total, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

try {
  await setup();
  const raw = mysql.createPool(direct);
  const wrapped = createPool(direct);
  await throughput(raw, 500);
  await throughput(wrapped, 500);
  // Alternate the two so that the shared machine's noise lands on both.
  const rawRuns = [];
  const wrappedRuns = [];
  for (let i = 0; i < 5; i++) {
    rawRuns.push(await throughput(raw, 1500));
    wrappedRuns.push(await throughput(wrapped, 1500));
  }
  const rawQps = percentile(rawRuns, 50);
  const wrappedQps = percentile(wrappedRuns, 50);
  await Promise.all([raw.end(), wrapped.end()]);

  proxy.fault({ kind: 'reset-before-answer', probability: 0.1, match: /^SELECT id, v FROM points/ });
  const rawFaulty = mysql.createPool(throughProxy);
  const wrappedFaulty = createPool(throughProxy, { retryReads: { attempts: 5 } });
  const rawResult = await underResets(rawFaulty, 5000);
  const wrappedResult = await underResets(wrappedFaulty, 5000);
  await Promise.all([rawFaulty.end(), wrappedFaulty.end()]);

  printTable(`mysql: point SELECT, ${concurrency} in flight, MariaDB on loopback`, [
    { name: 'throughput', value: wrappedQps, unit: 'q/s', anchor: 'raw mysql2', anchorValue: rawQps, target: '>= 0.98' },
    { name: 'success, 10% resets', value: wrappedResult.success, unit: '%', anchor: 'raw mysql2', anchorValue: rawResult.success },
    { name: 'p50, 10% resets', value: wrappedResult.p50, unit: 'ms', anchor: 'raw mysql2', anchorValue: rawResult.p50 },
    { name: 'p99, 10% resets', value: wrappedResult.p99, unit: 'ms', anchor: 'raw mysql2', anchorValue: rawResult.p99 },
  ]);
} finally {
  await proxy.close();
  await db.close();
}
