// The story: logrotate without `sharedscripts` runs postrotate once per log, so a service with
// two logs gets two SIGHUPs milliseconds apart. Runs the real logrotate against the service with
// two hand-written handlers and with the guard, and prints what happened.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { logrotate, spawnNode, stopAll } from '@bulwark/test-rig';

const service = fileURLToPath(new URL('./service.mjs', import.meta.url));

async function run(handler) {
  const dir = mkdtempSync(join(tmpdir(), 'loser-buys-'));
  const logs = ['access.log', 'error.log'].map((name) => join(dir, name));
  for (const log of logs) writeFileSync(log, '');
  const child = spawnNode(service, { env: { HANDLER: handler, LOGS: logs.join(',') } });
  await child.line(/^ready/);
  const rotate = logrotate({ logs, postrotate: [`kill -HUP ${child.pid}`], ifempty: true });
  const rotation = await rotate.rotate();
  await sleep(1500);
  const alive = child.running;
  const lines = child.stdout.split('\n');
  const result = {
    handler,
    hups: rotation.code === 0 ? logs.length : 0,
    alive,
    exit: alive ? null : (await child.exited).signal,
    reloads: lines.filter((l) => l.startsWith('reload-start')).length,
    mostAtOnce: Math.max(0, ...lines.filter((l) => l.startsWith('reload-start')).map((l) => Number(l.split(' ')[1]))),
    reopened: logs.every((log) => readFileSync(log, 'utf8').includes('after reload')),
  };
  await stopAll([child]);
  rotate.remove();
  rmSync(dir, { recursive: true, force: true });
  return result;
}

const describe = (r) =>
  r.alive
    ? `${r.reloads} reload(s), ${r.mostAtOnce} at once, alive, logs ${r.reopened ? '' : 'NOT '}reopened`
    : `killed by the 2nd HUP (signal ${r.exit}) after ${r.reloads} reload(s)`;

const on = await run('on');
const once = await run('once');
const guarded = await run('guard');
console.log(`\nprocess.on('SIGHUP') handler:  ${describe(on)}`);
console.log(`process.once, re-armed:        ${describe(once)}`);
console.log(`onHup guard:                   ${describe(guarded)}\n`);
const onSays = on.mostAtOnce > 1 ? `${on.mostAtOnce} reloads at once` : on.alive ? `${on.reloads} reload(s)` : `killed by ${on.exit}`;
const onceSays = once.alive ? `${once.reloads} reload(s), alive` : `killed by ${once.exit}`;
console.log(`without guard: ${on.hups} HUPs: ${onSays} (process.on), ${onceSays} (process.once)`);
console.log(
  `with guard: ${guarded.hups} HUPs: ${guarded.reloads} serialized reload, ${guarded.alive ? 'alive' : 'DEAD'}, both logs ${guarded.reopened ? 'reopened' : 'NOT reopened'}`,
);

const failureShown = on.mostAtOnce > 1 || !once.alive;
const fixShown = guarded.alive && guarded.mostAtOnce === 1 && guarded.reloads >= 1 && guarded.reopened;
process.exit(failureShown && fixShown ? 0 : 1);
