import { procStatFields } from '@bulwark/core';
import { procStatus } from './procfs.js';
import { readText } from './read.js';

/** What the main thread was doing at one moment. */
export interface ThreadSample {
  readonly at: number;
  /** R, S, D, ... */
  readonly state: string;
  /** utime + stime, in clock ticks (USER_HZ, 100 a second). */
  readonly cpuTicks: number;
  /** `/proc/.../syscall`: the number and arguments, `running`, or null when not readable (ptrace rules). */
  readonly syscall: string | null;
  readonly wchan: string | null;
  /** Times the thread went to sleep: unchanged means it never woke between two samples. */
  readonly voluntarySwitches: number;
}

/** Samples the main thread of `pid` (its tid is the pid); undefined once it is gone. */
export function sampleMainThread(pid: number): ThreadSample | undefined {
  const dir = `/proc/${pid}/task/${pid}`;
  const stat = procStatFields(`${dir}/stat`);
  if (!stat) return undefined;
  const status = procStatus(pid, pid);
  const syscall = readText(`${dir}/syscall`)?.trim() || null;
  const wchan = readText(`${dir}/wchan`)?.trim();
  return {
    at: performance.now(),
    state: stat[0]!,
    cpuTicks: Number(stat[11]) + Number(stat[12]),
    syscall,
    wchan: wchan && wchan !== '0' ? wchan : null,
    voluntarySwitches: Number(status.get('voluntary_ctxt_switches') ?? 0),
  };
}
