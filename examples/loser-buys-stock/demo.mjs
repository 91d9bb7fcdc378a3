// The loser-buys story with a stock service: pino + fastify logging to a file, no bulwark code.
// logrotate (create + postrotate kill -HUP, the usual config) rotates its log twice. Without the
// flag, the first HUP kills it (Node's default for SIGHUP). With only BULWARK_HUP=1 and
// `--import bulwark/register`, every numbered line lands once, in order, across app.log.2,
// app.log.1 and app.log, and the service keeps serving.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { logrotate, spawnNode, stopAll } from '@bulwark/test-rig';

const service = fileURLToPath(new URL('./service.mjs', import.meta.url));
const register = pathToFileURL(createRequire(import.meta.url).resolve('bulwark/register')).href;

const numbers = (path) =>
  existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l.includes('"msg":"n '))
        .map((l) => Number(/"msg":"n (\d+)"/.exec(l)[1]))
    : [];

async function waitFor(probe, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!probe() && Date.now() < deadline) await sleep(20);
  return probe();
}

async function run(flag) {
  const dir = mkdtempSync(join(tmpdir(), 'loser-buys-stock-'));
  const log = join(dir, 'app.log');
  const child = spawnNode(service, {
    ipc: true,
    execArgv: flag ? ['--import', register] : [],
    env: { LOG: log, BULWARK_HUP: flag ? '1' : '0' },
  });
  await child.line(/^ready/);
  await waitFor(() => numbers(log).length > 50);
  const rotate = logrotate({ logs: [log], postrotate: [`kill -HUP ${child.pid}`] });
  let rotations = 0;
  for (let i = 0; i < 2 && child.running; i++) {
    await rotate.rotateOrThrow();
    rotations++;
    await waitFor(() => !child.running || numbers(log).length > 50, 5000);
  }
  const alive = child.running;
  let written = 0;
  if (alive) {
    child.send('stop');
    written = Number((await child.line(/^done (\d+)/))[1]);
  }
  const exit = await child.exited;
  const files = [`${log}.2`, `${log}.1`, log].map(numbers);
  const all = files.flat();
  const inOrder = all.every((v, i) => v === i);
  // Every line exactly once, wherever it landed: none lost, none doubled.
  const once = all.length === written && [...all].sort((a, b) => a - b).every((v, i) => v === i);
  const result = {
    flag,
    alive,
    exit,
    rotations,
    written,
    perFile: files.map((f) => f.length),
    inOrder,
    everyLine: alive && once,
    newFileWritten: files[2].length > 0,
  };
  await stopAll([child]);
  rotate.remove();
  rmSync(dir, { recursive: true, force: true });
  return result;
}

const without = await run(false);
const withFlag = await run(true);
const files = (r) => `app.log.2 ${r.perFile[0]}, app.log.1 ${r.perFile[1]}, app.log ${r.perFile[2]} lines`;
console.log(
  `\nno flag:           ${without.alive ? 'alive' : `killed by ${without.exit.signal} at rotation ${without.rotations}`}; ${files(without)}`,
);
console.log(
  `BULWARK_HUP=1:     ${withFlag.alive ? 'alive' : 'DEAD'} after ${withFlag.rotations} rotations; ${files(withFlag)}; ${withFlag.written} written, ${withFlag.everyLine ? `every line once${withFlag.inOrder ? ', in order' : ' (some across the rotation out of order)'}` : 'LINES LOST OR DOUBLED'}\n`,
);
console.log(`without guard: stock pino + fastify killed by ${without.exit.signal ?? without.exit.code} at the first logrotate HUP`);
console.log(
  `with guard: BULWARK_HUP=1 only: alive through ${withFlag.rotations} rotations, ${withFlag.written} lines each in the right file`,
);

const failureShown = !without.alive && without.exit.signal === 'SIGHUP';
const fixShown = withFlag.alive && withFlag.rotations === 2 && withFlag.everyLine && withFlag.newFileWritten;
process.exit(failureShown && fixShown ? 0 : 1);
