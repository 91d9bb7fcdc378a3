// bench/mysql: point-SELECT throughput through @bulwark/mysql against raw mysql2 on the same
// private MariaDB in the same run (target: >= 0.98 of raw), for the promise pool and the callback
// pool, then both under 10% injected resets after the request and before the answer: success rate
// and p50/p99 latency. Then one ORM: Knex point SELECTs over raw mysql2 against Knex under the flag
// (`instrumentMysql2`, what `enable({ mysql: true })` runs, switched on before Knex's mysql2 loads).
// Each throughput variant runs in a process of its own (one mysql2 copy, its own JIT, 2.5 s of
// warm-up), alternated with its anchor, so that neither inherits the other's warm-up or the
// machine's drift. With two cores or more and `taskset` (util-linux), MariaDB runs on core 0 and
// each measured child on core 1, as a database on a host of its own: the scheduler then neither
// migrates them nor makes them take turns on one core, which moved single runs by ±10% and the
// paired ratios by ±4% between runs.
import { execFileSync, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentile, printTable } from './report.mjs';

const require = createRequire(import.meta.url);
const concurrency = 8;
const rounds = 10;
const warmupMs = 2500;
const measureMs = 2000;

/** What each throughput variant runs, given the MariaDB address; each returns { query, close }. */
const variants = {
  'promise raw': (address) => promisePool(require('mysql2/promise').createPool(pooled(address))),
  'promise bulwark': async (address) => promisePool((await import('@bulwark/mysql')).createPool(pooled(address))),
  'callback raw': (address) => callbackPool(require('mysql2').createPool(pooled(address))),
  'callback bulwark': async (address) =>
    callbackPool((await import('@bulwark/mysql')).wrapPool(require('mysql2').createPool(pooled(address)))),
  'knex raw': (address) => knexOn(address),
  'knex flag': async (address) => {
    (await import('@bulwark/mysql')).instrumentMysql2(); // before Knex loads mysql2, as the flag runs
    const knex = knexOn(address);
    await knex.query(0);
    // The flag renames the methods it hooks (mysql2's `_notifyError` becomes `notifyError`).
    if (require('mysql2').Connection.prototype._notifyError.name !== 'notifyError') throw new Error('Knex must drive a hooked mysql2 here');
    return knex;
  },
};

const pooled = (address) => ({ ...address, connectionLimit: concurrency });
const point = (i) => 1 + (i % 1000);

function promisePool(pool) {
  return { query: (i) => pool.query('SELECT id, v FROM points WHERE id = ?', [point(i)]), close: () => pool.end() };
}

/** The callback pool's query as a promise, as a callback-API caller runs it. */
function callbackPool(pool) {
  const query = (i) =>
    new Promise((resolve, reject) =>
      pool.query('SELECT id, v FROM points WHERE id = ?', [point(i)], (error, rows) => (error ? reject(error) : resolve(rows))),
    );
  return { query, close: () => new Promise((resolve) => pool.end(resolve)) };
}

function knexOn(address) {
  const knex = require('knex')({ client: 'mysql2', connection: address, pool: { min: concurrency, max: concurrency } });
  return {
    query: (i) =>
      knex('points')
        .where({ id: point(i) })
        .first(),
    close: () => knex.destroy(),
  };
}

/** Queries per second with `concurrency` callers for `ms`. */
async function throughput(query, ms) {
  let done = 0;
  const until = performance.now() + ms;
  const worker = async () => {
    while (performance.now() < until) {
      await query(done);
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return done / (ms / 1000);
}

// A child: one variant, warmed up, then measured; prints its q/s and this process's CPU (user +
// system) per query, which the machine's other load moves far less than the q/s.
if (process.argv[2] === 'child') {
  const { query, close } = await variants[process.argv[3]](JSON.parse(process.argv[4]));
  await throughput(query, warmupMs);
  const cpu = process.cpuUsage();
  const qps = await throughput(query, measureMs);
  const { user, system } = process.cpuUsage(cpu);
  console.log(JSON.stringify({ qps, cpuUs: (user + system) / (qps * (measureMs / 1000)) }));
  await close();
  process.exit(0);
}

// Under resets, the anchor is a mysql2 copy of its own, never hooked by @bulwark/mysql's.
const { createPool } = await import('@bulwark/mysql');
const { MariaDb, startFaultProxy } = await import('@bulwark/test-rig');
createPool({}).end(); // loads and hooks @bulwark/mysql's copy now
for (const path of Object.keys(require.cache)) if (path.includes(`${sep}mysql2${sep}`)) delete require.cache[path];
const mysql = require('mysql2/promise');
const db = await MariaDb.start();
const pinned = availableParallelism() >= 2 && spawnSync('taskset', ['-V']).status === 0;
if (pinned) execFileSync('taskset', ['-apc', '0', String(db.process.pid)], { stdio: 'ignore' });
const proxy = await startFaultProxy(db);
const direct = { ...db.address, connectionLimit: concurrency };
const throughProxy = { ...direct, socketPath: undefined, host: proxy.host, port: proxy.port };

async function setup() {
  const admin = await mysql.createConnection(db.address);
  await admin.query('CREATE TABLE points (id INT PRIMARY KEY, v VARCHAR(20))');
  await admin.query("INSERT INTO points SELECT seq, CONCAT('v', seq) FROM seq_1_to_1000");
  await admin.end();
}

/**
 * `anchor` and `variant`, each in processes of their own, run back to back in alternating order.
 * For q/s and CPU per query: the medians, and the median of the ratios paired round by round
 * (what the table prints), which a machine whose speed drifts between rounds does not skew.
 */
function compare(anchor, variant) {
  const self = fileURLToPath(import.meta.url);
  const [file, ...args] = [...(pinned ? ['taskset', '-c', '1'] : []), process.execPath, self, 'child'];
  const run = (name) => JSON.parse(execFileSync(file, [...args, name, JSON.stringify(db.address)], { encoding: 'utf8' }));
  const pairs = [];
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? [anchor, variant] : [variant, anchor];
    const runs = Object.fromEntries(order.map((name) => [name, run(name)]));
    pairs.push([runs[anchor], runs[variant]]);
  }
  const median = (pick) => percentile(pairs.map(pick), 50);
  const summary = (key) => ({
    anchorValue: median(([a]) => a[key]),
    value: median(([, v]) => v[key]),
    ratio: median(([a, v]) => v[key] / a[key]),
  });
  return { qps: summary('qps'), cpu: summary('cpuUs') };
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
      await pool.query('SELECT id, v FROM points WHERE id = ?', [id]).then(
        () => ok++,
        () => {},
      );
      latencies.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { success: (100 * ok) / total, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

try {
  await setup();
  const promise = compare('promise raw', 'promise bulwark');
  const callback = compare('callback raw', 'callback bulwark');
  const knex = compare('knex raw', 'knex flag');

  proxy.fault({ kind: 'reset-before-answer', probability: 0.1, match: /^SELECT id, v FROM points/ });
  const rawFaulty = mysql.createPool(throughProxy);
  const wrappedFaulty = createPool(throughProxy, { retryReads: { attempts: 5 } });
  const rawResult = await underResets(rawFaulty, 5000);
  const wrappedResult = await underResets(wrappedFaulty, 5000);
  await Promise.all([rawFaulty.end(), wrappedFaulty.end()]);

  const cores = pinned ? 'MariaDB on core 0, each measured client on core 1' : 'unpinned (no taskset or one core)';
  printTable(`mysql: point SELECT, ${concurrency} in flight, MariaDB on loopback, ${cores}`, [
    { name: 'throughput, promise pool', ...promise.qps, unit: 'q/s', anchor: 'raw mysql2', target: '>= 0.98' },
    { name: 'CPU per query, promise pool', ...promise.cpu, unit: 'us', anchor: 'raw mysql2' },
    { name: 'throughput, callback pool', ...callback.qps, unit: 'q/s', anchor: 'raw mysql2', target: '>= 0.98' },
    { name: 'CPU per query, callback pool', ...callback.cpu, unit: 'us', anchor: 'raw mysql2' },
    { name: 'success, 10% resets', value: wrappedResult.success, unit: '%', anchor: 'raw mysql2', anchorValue: rawResult.success },
    { name: 'p50, 10% resets', value: wrappedResult.p50, unit: 'ms', anchor: 'raw mysql2', anchorValue: rawResult.p50 },
    { name: 'p99, 10% resets', value: wrappedResult.p99, unit: 'ms', anchor: 'raw mysql2', anchorValue: rawResult.p99 },
    { name: 'throughput, Knex under the flag', ...knex.qps, unit: 'q/s', anchor: 'Knex, raw mysql2', target: '>= 0.98' },
    { name: 'CPU per query, Knex under the flag', ...knex.cpu, unit: 'us', anchor: 'Knex, raw mysql2' },
  ]);
} finally {
  await proxy.close();
  await db.close();
}
