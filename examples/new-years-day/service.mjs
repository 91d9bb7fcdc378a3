// A service whose daily reload reads its config with openSync and forgets to close it: one fd a
// day. It lives DAYS days in fast-forward, one reload per day (GUARD=1: through the HUP guard's
// leak budget; otherwise called directly, as its SIGHUP handler would).
// Prints: day <n>, leak <json>, reload-error <day> <code>, lived <days>.
import { openSync, readSync } from 'node:fs';
import { onHup } from '@bulwark/hup';

const days = Number(process.env.DAYS ?? 1100);
const config = new URL(import.meta.url);
let day = 0;

function reload() {
  const fd = openSync(config, 'r'); // the leak: never closed
  readSync(fd, Buffer.alloc(64));
}

if (process.env.GUARD) {
  const guard = onHup(reload, { leakBudget: true });
  guard.on('reload-leak', (leak) => console.log(`leak ${day} ${JSON.stringify(leak)}`));
  guard.on('reload-error', (e) => console.log(`reload-error ${day} ${e.errorCode}`));
  for (day = 1; day <= days; day++) await guard.reload();
} else {
  process.on('exit', (code) => code !== 0 && console.error(`died on day ${day}`));
  process.on('SIGHUP', reload);
  for (day = 1; day <= days; day++) process.emit('SIGHUP', 'SIGHUP');
}
console.log(`lived ${days}`);
