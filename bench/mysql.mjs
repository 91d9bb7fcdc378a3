// bench/mysql: point-SELECT throughput through @bulwark/mysql against raw mysql2 on the same
// private MariaDB in the same run (target: >= 0.98 of raw), for the promise pool and the callback
// pool, then both under 10% injected resets after the request and before the answer: success rate
// and p50/p99 latency. Then one ORM: Knex point SELECTs over raw mysql2 against Knex under the flag
// (`instrumentMysql2`, what `enable({ mysql: true })` runs, switched on before Knex's mysql2 loads).
import { createRequire } from 'node:module';
import { sep } from 'node:path';
import { createPool, instrumentMysql2, wrapPool } from '@bulwark/mysql';
import { MariaDb, startFaultProxy } from '@bulwark/test-rig';
import { percentile, printTable } from './report.mjs';

// @bulwark/mysql hooks the mysql2 copy it loads; the anchor is a copy of mysql2 of its own, never hooked.
const require = createRequire(import.meta.url);
const hooked = { promise: require('mysql2/promise'), callback: require('mysql2') };
createPool({}).end(); // loads and hooks that copy now
for (const path of Object.keys(require.cache)) if (path.includes(`${sep}mysql2${sep}`)) delete require.cache[path];
const mysql = require('mysql2/promise');
const mysqlCallback = require('mysql2');
if (mysql.createPool === hooked.promise.createPool) throw new Error('the raw anchor must be a mysql2 copy of its own');

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

/** The callback pool's query as a promise, as a callback-API caller runs it. */
const callbackQuery = (pool) => ({
  query: (sql, values) =>
    new Promise((resolve, reject) => pool.query(sql, values, (error, rows) => (error ? reject(error) : resolve(rows)))),
});

/** Knex point SELECTs per second with `concurrency` callers for `ms`. */
async function knexThroughput(knex, ms) {
  let done = 0;
  const until = performance.now() + ms;
  const worker = async () => {
    while (performance.now() < until) {
      await knex('points')
        .where({ id: 1 + (done % 1000) })
        .first();
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return done / (ms / 1000);
}

/** A Knex mysql2 client driving the given mysql2 copy. */
function knexOn(driver) {
  const Client = require('knex/lib/dialects/mysql2');
  return require('knex')({
    client: class extends Client {
      _driver() {
        return driver;
      }
    },
    connection: db.address,
    pool: { min: concurrency, max: concurrency },
  });
}

/**
 * Knex over the raw mysql2 copy, and Knex over a copy loaded once the flag is on, alternated in
 * the same run. The raw copies leave the require cache first, so the flag never sees them.
 */
async function knexLeg() {
  const raw = knexOn(mysqlCallback);
  for (const path of Object.keys(require.cache)) if (path.includes(`${sep}mysql2${sep}`)) delete require.cache[path];
  const flag = instrumentMysql2();
  const flaggedDriver = require('mysql2');
  // The flag renames the methods it hooks (mysql2's `_notifyError` becomes `notifyError`).
  const hookedCopy = (driver) => driver.Connection.prototype._notifyError.name === 'notifyError';
  if (!hookedCopy(flaggedDriver) || hookedCopy(mysqlCallback))
    throw new Error('Knex under the flag must drive a hooked mysql2 copy, raw Knex an unhooked one');
  const flagged = knexOn(flaggedDriver);
  try {
    await knexThroughput(raw, 500);
    await knexThroughput(flagged, 500);
    const rawRuns = [];
    const flaggedRuns = [];
    for (let i = 0; i < 5; i++) {
      rawRuns.push(await knexThroughput(raw, 1500));
      flaggedRuns.push(await knexThroughput(flagged, 1500));
    }
    return { raw: percentile(rawRuns, 50), flagged: percentile(flaggedRuns, 50) };
  } finally {
    await Promise.all([raw.destroy(), flagged.destroy()]);
    await flag.close();
  }
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

  const rawCallback = mysqlCallback.createPool(direct);
  const wrappedCallback = wrapPool(hooked.callback.createPool(direct));
  await throughput(callbackQuery(rawCallback), 500);
  await throughput(callbackQuery(wrappedCallback), 500);
  const rawCallbackRuns = [];
  const wrappedCallbackRuns = [];
  for (let i = 0; i < 5; i++) {
    rawCallbackRuns.push(await throughput(callbackQuery(rawCallback), 1500));
    wrappedCallbackRuns.push(await throughput(callbackQuery(wrappedCallback), 1500));
  }
  await Promise.all([new Promise((r) => rawCallback.end(r)), new Promise((r) => wrappedCallback.end(r))]);

  proxy.fault({ kind: 'reset-before-answer', probability: 0.1, match: /^SELECT id, v FROM points/ });
  const rawFaulty = mysql.createPool(throughProxy);
  const wrappedFaulty = createPool(throughProxy, { retryReads: { attempts: 5 } });
  const rawResult = await underResets(rawFaulty, 5000);
  const wrappedResult = await underResets(wrappedFaulty, 5000);
  await Promise.all([rawFaulty.end(), wrappedFaulty.end()]);
  const knex = await knexLeg();

  printTable(`mysql: point SELECT, ${concurrency} in flight, MariaDB on loopback`, [
    { name: 'throughput, promise pool', value: wrappedQps, unit: 'q/s', anchor: 'raw mysql2', anchorValue: rawQps, target: '>= 0.98' },
    {
      name: 'throughput, callback pool',
      value: percentile(wrappedCallbackRuns, 50),
      unit: 'q/s',
      anchor: 'raw mysql2',
      anchorValue: percentile(rawCallbackRuns, 50),
      target: '>= 0.98',
    },
    { name: 'success, 10% resets', value: wrappedResult.success, unit: '%', anchor: 'raw mysql2', anchorValue: rawResult.success },
    { name: 'p50, 10% resets', value: wrappedResult.p50, unit: 'ms', anchor: 'raw mysql2', anchorValue: rawResult.p50 },
    { name: 'p99, 10% resets', value: wrappedResult.p99, unit: 'ms', anchor: 'raw mysql2', anchorValue: rawResult.p99 },
    {
      name: 'throughput, Knex under the flag',
      value: knex.flagged,
      unit: 'q/s',
      anchor: 'Knex, raw mysql2',
      anchorValue: knex.raw,
      target: '>= 0.98',
    },
  ]);
} finally {
  await proxy.close();
  await db.close();
}
