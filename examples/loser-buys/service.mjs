// A service with two logs whose reload re-reads its config (300 ms) and reopens the logs.
// HANDLER = on    : process.on('SIGHUP', reload), the usual hand-written handler
//           once  : process.once('SIGHUP', ...) re-armed after the reload, like a re-exec
//           guard : onHup(reload, { reopen: [a, b] })
// Prints: reload-start <concurrent>, reload-end, ready <pid>.
import { createWriteStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { onHup } from '@bulwark/hup';

const paths = process.env.LOGS.split(',');
let logs = paths.map((path) => createWriteStream(path, { flags: 'a' }));
let concurrent = 0;

async function readConfig() {
  console.log(`reload-start ${++concurrent}`);
  await sleep(300);
  concurrent--;
  console.log('reload-end');
}

function logAll(line) {
  for (const log of logs) log.write(`${line}\n`);
}

// The hand-written reload: reopen the logs, read the config again.
async function handReload() {
  logs.forEach((log) => log.end());
  logs = paths.map((path) => createWriteStream(path, { flags: 'a' }));
  await readConfig();
  logAll('after reload');
}

if (process.env.HANDLER === 'on') {
  process.on('SIGHUP', handReload);
} else if (process.env.HANDLER === 'once') {
  const arm = () =>
    process.once('SIGHUP', async () => {
      await handReload();
      arm();
    });
  arm();
} else {
  // The leak budget also leaves a file that tells `bulwark doctor` the guard runs here.
  const guard = onHup(readConfig, { reopen: logs, leakBudget: true });
  guard.on('reload', (info) => {
    logAll('after reload');
    console.log(`event reload ${JSON.stringify(info)}`);
  });
}
setInterval(() => {}, 1000);
console.log(`ready ${process.pid}`);
