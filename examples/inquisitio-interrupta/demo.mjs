// Runs the same service twice against a private MariaDB behind a fault proxy that resets 10% of
// statements after the request and before the answer, while the process gets a SIGHUP storm.
// A statement meets at most one reset, as in the story (a dozen in 600 million queries), so a
// retry is never unlucky twice; the attempts budget against repeated resets is tested in
// packages/mysql.
import { fileURLToPath } from 'node:url';
/* global fetch */
import mysql from 'mysql2/promise';
import { MariaDb, spawnNode, startFaultProxy } from '@bulwark/test-rig';

const here = fileURLToPath(new URL('.', import.meta.url));
const requests = 400;
const db = await MariaDb.start();
const proxy = await startFaultProxy(db);

async function round(label, env, execArgv) {
  const admin = await mysql.createConnection(db.address);
  await admin.query('DROP TABLE IF EXISTS orders');
  await admin.query('CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, request INT NOT NULL)');
  const service = spawnNode(`${here}service.mjs`, { env: { DB_PORT: String(proxy.port), ...env }, execArgv, cwd: here });
  const port = Number((await service.line(/^listening (\d+)/))[1]);
  const storm = setInterval(() => service.kill('SIGHUP'), 2);
  const sent = new Set();
  const firstSend = (sql) => /^(SELECT|INSERT) .*orders/.test(sql) && !sent.has(sql) && Boolean(sent.add(sql));
  proxy.clear().fault({ kind: 'reset-before-answer', probability: 0.1, match: firstSend });
  const outcome = { readsFailed: 0, writesFailed: 0, doubts: 0, codes: new Set() };
  const call = async (method, i) => {
    const response = await fetch(`http://127.0.0.1:${port}/orders/${i}`, { method });
    if (response.ok) return;
    const { code, reason, attempts } = await response.json();
    if (method === 'GET') {
      outcome.readsFailed++;
      outcome.codes.add(reason ? `${code}: ${reason} after ${attempts} attempts` : code);
    } else outcome.writesFailed++;
    if (reason === 'write-in-doubt') outcome.doubts++;
  };
  for (let i = 0; i < requests; i += 20)
    await Promise.all(Array.from({ length: 20 }, (_, k) => [call('POST', i + k), call('GET', i + k)]).flat());
  proxy.clear();
  clearInterval(storm);
  const stats = await (await fetch(`http://127.0.0.1:${port}/stats`)).json();
  const [dupes] = await admin.query('SELECT request FROM orders GROUP BY request HAVING COUNT(*) > 1');
  await admin.end();
  service.kill('SIGTERM');
  await service.exited;
  const result = { ...outcome, duplicated: dupes.length, hups: stats.hups, retries: stats.retries };
  console.log(
    `${label}: ${result.readsFailed} of ${requests} reads failed${result.codes.size ? ` (${[...result.codes].join(', ')})` : ''}, ${result.retries} retried, ` +
      `${result.writesFailed} writes failed (${result.doubts} reported write-in-doubt), ${result.duplicated} duplicated, under ${result.hups} SIGHUPs`,
  );
  return result;
}

try {
  const without = await round('without guard', {}, []);
  const withGuard = await round('with guard', { BULWARK_MYSQL: '1' }, ['--import', 'bulwark/register']);
  const shown =
    without.readsFailed > 0 && withGuard.readsFailed === 0 && withGuard.duplicated === 0 && withGuard.writesFailed === withGuard.doubts;
  process.exitCode = shown ? 0 : 1;
} finally {
  await proxy.close();
  await db.close();
}
