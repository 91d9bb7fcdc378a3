import { checkNumber, checkOptions, checkString, delay, InvalidOptionError } from '@bulwark/core';
import { checkDeaf } from './deaf.js';
import { ProcessNotFoundError } from './errors.js';
import { checkFds } from './fds.js';
import { type CheckName, type Finding, checkNames, finding } from './finding.js';
import { readForecast } from './forecast.js';
import { checkIpc } from './ipc.js';
import { checkLogrotate } from './logrotate.js';
import { type RotateBlock, readLogrotateConfig } from './logrotate-config.js';
import { type ProcessIdentity, identify, nodeProcessesOfUser } from './processes.js';
import { type OpenFd, openFds } from './procfs.js';
import { checkSighup } from './sighup.js';
import { listeners } from './sockets.js';
import { checkStalled } from './stalled.js';
import { readOr } from './read.js';
import { sampleMainThread } from './threads.js';

export interface DoctorOptions {
  /** The processes to examine. @default the Node processes of the current user */
  readonly pids?: readonly number[];
  /** Where configuration is read from (logind.conf, login.defs, logrotate's): a temp tree in tests. @default '/' */
  readonly root?: string;
  /** Time between the two samples of the deaf and stalled checks; 0 leaves those two out. @default 2000 */
  readonly sampleMs?: number;
}

/** One process and what each check found. */
export interface ProcessReport extends ProcessIdentity {
  readonly findings: readonly Finding[];
  /** The process ended while it was examined. */
  readonly gone: boolean;
}

export interface DoctorReport {
  readonly root: string;
  readonly sampleMs: number;
  /** Findings with status `hazard`, over all processes. */
  readonly hazards: number;
  readonly processes: readonly ProcessReport[];
}

const known = ['pids', 'root', 'sampleMs'] as const;

function resolve(input: DoctorOptions | undefined) {
  const o = checkOptions('options', input, known);
  if (o.pids !== undefined && !Array.isArray(o.pids)) throw new InvalidOptionError('pids', o.pids, 'an array of process ids');
  const pids = o.pids?.map((pid, i) => checkNumber(`pids[${i}]`, pid, { min: 1, integer: true }));
  const root = checkString('root', o.root ?? '/', /^\//);
  const sampleMs = checkNumber('sampleMs', o.sampleMs ?? 2000, { min: 0, max: 60_000, integer: true });
  return { pids, root, sampleMs } as const;
}

/**
 * Examines processes from outside, reading only their /proc files and the host's configuration:
 * nothing is attached, paused or signalled. Throws ProcessNotFoundError for a `pids` entry that
 * does not exist.
 */
export async function doctor(options?: DoctorOptions): Promise<DoctorReport> {
  const { pids, root, sampleMs } = resolve(options);
  const identities = [...new Set(pids ?? nodeProcessesOfUser())].flatMap((pid) => {
    const who = identify(pid);
    if (!who && pids) throw new ProcessNotFoundError(pid);
    return who ? [who] : [];
  });
  const blocks = readLogrotateConfig(root);
  const started = identities.map((who) => examine(who, root, blocks, sampleMs > 0));
  if (started.length > 0 && sampleMs > 0) await delay(sampleMs);
  const processes = started.map((exam) => exam.finish(sampleMs));
  const hazards = processes.reduce((n, p) => n + p.findings.filter((f) => f.status === 'hazard').length, 0);
  return { root, sampleMs, hazards, processes };
}

/** Runs the instant checks and takes the first sample of the sampled ones; `finish()` takes the second. */
function examine(who: ProcessIdentity, root: string, blocks: readonly RotateBlock[], sampling: boolean) {
  const { pid } = who;
  const findings: Finding[] = [];
  const safely = <T>(check: CheckName, fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (error) {
      findings.push(unreadable(check, error));
      return undefined;
    }
  };
  const report = (check: CheckName, fn: () => Finding | Finding[]) => findings.push(...[safely(check, fn) ?? []].flat());
  const forecast = readOr(() => readForecast(who), undefined);
  let fds: OpenFd[] | undefined;
  let fdsError: unknown;
  try {
    fds = openFds(pid);
  } catch (error) {
    fdsError = error;
  }
  const withFds =
    <T>(fn: (fds: OpenFd[]) => T) =>
    () =>
      fds ? fn(fds) : raise(fdsError);
  report('sighup', () => checkSighup(pid));
  report(
    'fds',
    withFds((open) => checkFds(pid, open, forecast)),
  );
  report('ipc', () => checkIpc(who, root));
  report(
    'logrotate',
    withFds((open) => checkLogrotate(pid, open, blocks, forecast)),
  );
  const listening = sampling
    ? safely(
        'deaf',
        withFds((open) => listeners(pid, open)),
      )
    : undefined;
  const thread = sampling ? safely('stalled', () => sampleMainThread(pid)) : undefined;
  return {
    finish(sampleMs: number): ProcessReport {
      const gone = identify(pid)?.startTime !== who.startTime;
      if (!gone && listening) report('deaf', () => checkDeaf(pid, listening, listeners(pid, openFds(pid)), sampleMs));
      const after = gone || !thread ? undefined : safely('stalled', () => sampleMainThread(pid));
      if (thread && after) report('stalled', () => checkStalled(pid, thread, after, sampleMs));
      findings.sort((a, b) => checkNames.indexOf(a.check) - checkNames.indexOf(b.check));
      return { ...who, findings, gone };
    },
  };
}

function unreadable(check: CheckName, error: unknown): Finding {
  const message = error instanceof Error ? error.message : String(error);
  return finding(check, 'unknown', `could not read: ${message}`, [], "run the doctor as the process's user, or as root");
}

function raise(error: unknown): never {
  throw error;
}
