// `npx bulwark doctor` from the installed tarball, examining this very process: the bin runs, exits
// by itself, and its JSON report names this process with every check.
import { spawnSync } from 'node:child_process';

process.on('SIGHUP', () => {}); // a caught SIGHUP: the doctor should find nothing to flag here
const args = ['--no-install', 'bulwark', 'doctor', '--pid', String(process.pid), '--json', '--sample-ms', '200'];
const run = spawnSync('npx', args, { encoding: 'utf8', timeout: 20_000 });
const report = JSON.parse(run.stdout);
const checks = report.processes[0]?.findings.map((f) => `${f.check}:${f.status}`).join(' ');
if (run.status !== 0 || report.processes[0]?.pid !== process.pid || report.processes[0].findings.length !== 6)
  throw new Error(`bulwark doctor exited ${run.status ?? run.signal}: ${checks ?? run.stderr}`);
console.log(`OK bulwark doctor --pid ${process.pid}: ${checks}`);
