// bench/hup: what the HUP guard adds to a reload, and how many reloads a burst of HUPs causes,
// each next to its anchor measured in the same run: calling the reload directly, and the usual
// hand-written handler `process.on('SIGHUP', reload)`.
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { onHup } from '@bulwark/hup';
import { spawnNode, stopAll } from '@bulwark/test-rig';
import { median, nsPerCall, percentile, printTable } from './report.mjs';

const state = { reloads: 0 };
const reload = async () => {
  state.reloads++;
};

async function overhead() {
  const direct = await median(3, () => nsPerCall(() => reload(), 20_000));
  let done;
  const handler = () => reload().then(() => done());
  process.on('SIGHUP', handler);
  const hand = await median(3, () =>
    nsPerCall(() => new Promise((resolve) => ((done = resolve), process.emit('SIGHUP', 'SIGHUP'))), 20_000),
  );
  process.off('SIGHUP', handler);
  const guard = onHup(reload);
  const guarded = await median(3, () => nsPerCall(() => guard.reload(), 20_000));
  guard.close();
  const budgeted = onHup(reload, { leakBudget: true });
  const withBudget = await median(3, () => nsPerCall(() => budgeted.reload(), 2_000, 200));
  budgeted.close();
  // The zero-code reach (BULWARK_HUP=1): two logs found, checked for a rename on every reload.
  const adopting = onHup(reload, { adopt: true, coalesceMs: 0, maxDelayMs: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'bench-hup-'));
  const logs = ['a.log', 'b.log'].map((name) => createWriteStream(join(dir, name), { flags: 'a' }));
  await Promise.all(logs.map((log) => once(log, 'open')));
  const withReach = await median(3, () => nsPerCall(() => adopting.reload(), 2_000, 200));
  // A HUP-driven reload also scans /proc/self/fd for files still written under a moved path.
  let reloaded;
  adopting.on('reload', () => reloaded());
  const keepAlive = setInterval(() => {}, 1000); // the guard's coalescing timer is unref'd
  const hupDriven = await median(3, () =>
    nsPerCall(() => new Promise((resolve) => ((reloaded = resolve), process.emit('SIGHUP', 'SIGHUP'))), 500, 50),
  );
  clearInterval(keepAlive);
  await adopting.close();
  logs.forEach((log) => log.destroy());
  rmSync(dir, { recursive: true, force: true });
  return { direct, hand, guarded, withBudget, withReach, hupDriven };
}

/** Sends `count` HUPs as fast as possible to a fresh child; resolves with reloads and most at once. */
async function burst(mode, count) {
  const child = spawnNode(fileURLToPath(new URL('./fixtures/hup-burst.mjs', import.meta.url)), { env: { MODE: mode } });
  await child.line(/^ready/);
  for (let i = 0; i < count; i++) process.kill(child.pid, 'SIGHUP');
  // Done once the output has been quiet for 400 ms.
  let seen = -1;
  while (seen !== child.stdout.length) {
    seen = child.stdout.length;
    await sleep(400);
  }
  await stopAll([child]);
  const starts = child.stdout.split('\n').filter((l) => l.startsWith('reload '));
  return { reloads: starts.length, mostAtOnce: Math.max(0, ...starts.map((l) => Number(l.split(' ')[1]))) };
}

const o = await overhead();
const us = (ns) => ns / 1000;
printTable('time per reload (reload = an empty async function)', [
  { name: 'guard.reload()', value: us(o.guarded), unit: 'us', anchor: 'direct reload()', anchorValue: us(o.direct) },
  { name: 'guard.reload()', value: us(o.guarded), unit: 'us', anchor: "hand-written process.on('SIGHUP')", anchorValue: us(o.hand) },
  { name: 'guard.reload() + leakBudget', value: us(o.withBudget), unit: 'us', anchor: 'direct reload()', anchorValue: us(o.direct) },
  {
    name: 'guard.reload() + adopt (2 logs found)',
    value: us(o.withReach),
    unit: 'us',
    anchor: 'direct reload()',
    anchorValue: us(o.direct),
  },
  {
    name: 'guard.reload() + adopt (2 logs found)',
    value: us(o.withReach),
    unit: 'us',
    anchor: 'guard.reload()',
    anchorValue: us(o.guarded),
  },
]);
printTable('time per HUP-driven reload (coalesceMs 0), with the stale-log scan of /proc/self/fd', [
  {
    name: 'HUP -> reload + adopt (2 logs found)',
    value: us(o.hupDriven),
    unit: 'us',
    anchor: "hand-written process.on('SIGHUP')",
    anchorValue: us(o.hand),
  },
]);
console.log(`the reach adds ${(us(o.withReach) - us(o.guarded)).toFixed(1)} us per reload`);

const rows = [];
const spread = [];
for (const count of [2, 10, 100]) {
  const guard = [];
  const hand = [];
  for (let run = 0; run < 5; run++) {
    guard.push(await burst('guard', count));
    hand.push(await burst('hand', count));
  }
  const mid = (runs, key) =>
    percentile(
      runs.map((r) => r[key]),
      50,
    );
  const most = (runs, key) => Math.max(...runs.map((r) => r[key]));
  rows.push({
    name: `reloads for a burst of ${count} HUPs (median)`,
    value: mid(guard, 'reloads'),
    unit: 'reloads',
    anchor: "process.on('SIGHUP')",
    anchorValue: mid(hand, 'reloads'),
    target: '<= 1',
  });
  rows.push({
    name: `  most reloads for it (of 5 runs)`,
    value: most(guard, 'reloads'),
    unit: 'reloads',
    anchor: "process.on('SIGHUP')",
    anchorValue: most(hand, 'reloads'),
    target: '<= 1',
  });
  rows.push({
    name: `  most reloads at once`,
    value: most(guard, 'mostAtOnce'),
    unit: 'reloads',
    anchor: "process.on('SIGHUP')",
    anchorValue: most(hand, 'mostAtOnce'),
    target: '<= 1',
  });
  spread.push(
    `burst ${count}: guard reloads ${guard.map((r) => r.reloads).join('/')} (most at once ${Math.max(...guard.map((r) => r.mostAtOnce))}); hand-written ${hand.map((r) => r.reloads).join('/')} (most at once ${Math.max(...hand.map((r) => r.mostAtOnce))})`,
  );
}
printTable('reloads per burst of HUPs sent to a real child (5 runs each; reload = 20 ms async)', rows);
console.log(`\n${spread.join('\n')}`);
