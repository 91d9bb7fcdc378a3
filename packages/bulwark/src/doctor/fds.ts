import type { LeakReport } from '@bulwark/hup';
import type { ForecastRead } from './forecast.js';
import { type Finding, finding } from './finding.js';
import { nofileLimit, type OpenFd } from './procfs.js';

/** Share of the soft limit in use from which the fd budget is a hazard. */
const NEAR_LIMIT = 0.8;

/**
 * New Year's Day: open fds against the soft RLIMIT_NOFILE, and the leak forecast of a running
 * @bulwark/hup leak budget (a resource that grows with every reload runs out on a date).
 */
export function checkFds(pid: number, fds: readonly OpenFd[], forecast: ForecastRead | undefined): Finding {
  const { soft, hard } = nofileLimit(pid);
  const used = soft === null ? 0 : fds.length / soft;
  const evidence = [
    `/proc/${pid}/fd: ${fds.length} open; /proc/${pid}/limits: Max open files ${soft ?? 'unlimited'} (soft) ${hard ?? 'unlimited'} (hard)`,
  ];
  const leaks = forecast?.forecast.leaks ?? [];
  if (forecast)
    evidence.push(
      `${forecast.path}: ${forecast.forecast.reloads} reload(s), ${leaks.length === 0 ? 'no leak found' : leaks.map(describeLeak).join('; ')}`,
    );
  const near = soft !== null && used >= NEAR_LIMIT;
  if (!near && leaks.length === 0) {
    const budget = forecast ? ', leak budget running' : '';
    return finding('fds', 'ok', `${fds.length} of ${soft ?? 'unlimited'} fds open (${Math.round(used * 100)}%)${budget}`, evidence);
  }
  const says = [
    ...(near ? [`${fds.length} of ${soft} fds open (${Math.round(used * 100)}% of the soft RLIMIT_NOFILE)`] : []),
    ...leaks.map(
      (l) => `${l.resource} grows ${l.growthPerReload} per reload${l.reloadsLeft === null ? '' : `: ${l.reloadsLeft} reloads left`}`,
    ),
  ];
  const fix = leaks.length
    ? 'find what each reload opens and never closes (the leak budget names the resource); a higher limit only moves the date'
    : `find what holds the fds (ls -l /proc/${pid}/fd); raise LimitNOFILE only once nothing leaks`;
  return finding('fds', 'hazard', says.join('; '), evidence, fix);
}

function describeLeak(leak: LeakReport): string {
  const limit = leak.limit === null ? 'no limit' : `limit ${leak.limit} (${leak.limitName})`;
  const left = leak.reloadsLeft === null ? '' : `, ${leak.reloadsLeft} reloads left`;
  return `${leak.resource} at ${leak.current}, +${leak.growthPerReload}/reload since reload ${leak.reloads}, ${limit}${left}`;
}
