// `bulwark doctor` against this story's service, as `pnpm demo` ends: the story's logrotate block
// (two logs, a HUP postrotate, no sharedscripts) with a hand-written SIGHUP handler, then with the
// guard. Prints the doctor's table for each; exits 0 when the doctor flags the first and passes the second.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const service = fileURLToPath(new URL('./service.mjs', import.meta.url));
const bin = fileURLToPath(new URL('../../packages/bulwark/dist/bin.js', import.meta.url));

async function examine(handler) {
  const dir = mkdtempSync(join(tmpdir(), 'loser-buys-doctor-'));
  const logs = ['access.log', 'error.log'].map((name) => join(dir, name));
  const child = spawn(process.execPath, [service], {
    env: { ...process.env, HANDLER: handler, LOGS: logs.join(',') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    for await (const chunk of child.stdout) if (String(chunk).includes('ready')) break;
    // The host's logrotate configuration, in a tree the doctor reads with --root.
    mkdirSync(join(dir, 'root/etc'), { recursive: true });
    writeFileSync(
      join(dir, 'root/etc/logrotate.conf'),
      `${logs.join(' ')} {\n  daily\n  create\n  postrotate\n    kill -HUP ${child.pid}\n  endscript\n}\n`,
    );
    const doctor = spawn(process.execPath, [bin, 'doctor', '--pid', String(child.pid), '--root', join(dir, 'root'), '--sample-ms', '500'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let table = '';
    doctor.stdout.on('data', (chunk) => (table += chunk));
    const [code] = await once(doctor, 'close');
    console.log(`$ bulwark doctor --pid ${child.pid} --root <tree>    # HANDLER=${handler}\n${table}(exit ${code})\n`);
    return { code, hazards: Number(table.match(/(\d+) hazards?/)?.[1] ?? NaN) };
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

const without = await examine('on');
const guarded = await examine('guard');
console.log(`without guard: doctor exit ${without.code}, ${without.hazards} hazard(s): a burst of 2 HUPs into a hand-written handler`);
console.log(`with guard: doctor exit ${guarded.code}, ${guarded.hazards} hazard(s): the burst is covered by the guard`);
process.exit(without.code === 1 && guarded.code === 0 ? 0 : 1);
