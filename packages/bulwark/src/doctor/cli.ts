import { InvalidOptionError, isBulwarkError } from '@bulwark/core';
import { parseArgs } from 'node:util';
import { type DoctorOptions, doctor } from './doctor.js';
import { renderTable } from './table.js';

export const usage = `usage: bulwark doctor [--pid N ...] [--json] [--root DIR] [--sample-ms MS]

Examines Node processes from outside (their /proc files and the host's configuration; nothing is
attached, paused or signalled) for the hazards behind bulwark's stories: SIGHUP that kills, logrotate
settings that lose or corrupt logs, fd budgets and reload leaks, logind's RemoveIPC, a deaf listening
socket, a stalled main thread.

  --pid N          a process to examine (repeat for more); default: the Node processes of this user
  --json           print the report as JSON
  --root DIR       read configuration (logind.conf, login.defs, logrotate's) under DIR
  --sample-ms MS   time between the two samples of the deaf and stalled checks (default 2000;
                   0 leaves those two checks out)

Exit code: 0 no hazard, 1 at least one hazard, 2 bad arguments or no such process.`;

/** Output and exit code of one `bulwark doctor` run; `argv` is what follows `doctor`. */
export async function runDoctor(argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let options: DoctorOptions & { json: boolean };
  try {
    options = parse(argv);
  } catch (error) {
    return { code: 2, stdout: '', stderr: `bulwark doctor: ${(error as Error).message}\n\n${usage}\n` };
  }
  if (argv.includes('--help') || argv.includes('-h')) return { code: 0, stdout: `${usage}\n`, stderr: '' };
  try {
    const { json: _json, ...doctorOptions } = options;
    const report = await doctor(doctorOptions);
    const stdout = options.json ? `${JSON.stringify(report, null, 2)}\n` : renderTable(report, process.stdout.columns || 100);
    return { code: report.hazards > 0 ? 1 : 0, stdout, stderr: '' };
  } catch (error) {
    if (!isBulwarkError(error)) throw error;
    return { code: 2, stdout: '', stderr: `bulwark doctor: ${error.message}\n` };
  }
}

function parse(argv: readonly string[]): DoctorOptions & { json: boolean } {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      pid: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
      root: { type: 'string' },
      'sample-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const number = (option: string, text: string) => {
    if (!/^\d+$/.test(text)) throw new InvalidOptionError(option, text, 'a whole number');
    return Number(text);
  };
  return {
    json: values.json ?? false,
    ...(values.pid && { pids: values.pid.map((p) => number('--pid', p)) }),
    ...(values.root !== undefined && { root: values.root }),
    ...(values['sample-ms'] !== undefined && { sampleMs: number('--sample-ms', values['sample-ms']) }),
  };
}
