import { type Finding, finding } from './finding.js';
import type { ThreadSample } from './threads.js';

const TICKS_PER_SECOND = 100; // USER_HZ: /proc reports CPU time in these on every Linux
/** Share of the sample spent on the CPU from which the main thread counts as never yielding. */
const ON_CPU = 0.9;

// Syscall numbers the doctor names; an event loop waiting in epoll is idle, not stalled.
const names: Record<string, Record<number, string>> = {
  x64: {
    0: 'read',
    1: 'write',
    7: 'poll',
    17: 'pread64',
    18: 'pwrite64',
    23: 'select',
    35: 'nanosleep',
    42: 'connect',
    43: 'accept',
    45: 'recvfrom',
    61: 'wait4',
    72: 'fcntl',
    73: 'flock',
    74: 'fsync',
    202: 'futex',
    230: 'clock_nanosleep',
    232: 'epoll_wait',
    257: 'openat',
    281: 'epoll_pwait',
    441: 'epoll_pwait2',
  },
  arm64: {
    22: 'epoll_pwait',
    25: 'fcntl',
    32: 'flock',
    56: 'openat',
    63: 'read',
    64: 'write',
    67: 'pread64',
    68: 'pwrite64',
    73: 'ppoll',
    82: 'fsync',
    98: 'futex',
    101: 'nanosleep',
    115: 'clock_nanosleep',
    203: 'connect',
    207: 'recvfrom',
    242: 'accept4',
    260: 'wait4',
    441: 'epoll_pwait2',
  },
};
const EVENT_LOOP_WAITS = new Set(['epoll_wait', 'epoll_pwait', 'epoll_pwait2']);
const EVENT_LOOP_WCHANS = new Set(['ep_poll', 'do_epoll_wait']);

/**
 * Stalled: the main thread spent the whole sample on the CPU (a loop that never yields), or slept
 * in one syscall other than the event loop's epoll wait without waking once (a sync read of a
 * pipe, a futex, a lock).
 */
export function checkStalled(pid: number, first: ThreadSample, second: ThreadSample, sampleMs: number): Finding {
  const seconds = (second.at - first.at) / 1000;
  const sample = `${(sampleMs / 1000).toFixed(1)} s sample`;
  const cpu = (second.cpuTicks - first.cpuTicks) / TICKS_PER_SECOND;
  const evidence = [
    `/proc/${pid}/task/${pid}/stat: state ${first.state} then ${second.state}, ${cpu.toFixed(2)} s of CPU in ${seconds.toFixed(2)} s`,
    `/proc/${pid}/task/${pid}/syscall: ${describe(first)} then ${describe(second)}; wchan ${first.wchan ?? '?'} then ${second.wchan ?? '?'}`,
    `/proc/${pid}/task/${pid}/status: voluntary_ctxt_switches ${first.voluntarySwitches} then ${second.voluntarySwitches}`,
  ];
  const fix =
    "capture the main thread's stack (startWatchdog() from @bulwark/watchdog writes one on a stall) and find the call that never returns";
  // Never slept yet used the CPU: on a shared machine a busy loop may get far less than a core.
  const neverSlept = first.voluntarySwitches === second.voluntarySwitches && cpu > 0 && (first.state === 'R' || second.state === 'R');
  if (neverSlept || cpu >= seconds * ON_CPU)
    return finding('stalled', 'hazard', `main thread on the CPU through the whole ${sample}: its event loop never waited`, evidence, fix);
  const stuck = stuckIn(first, second);
  if (stuck) return finding('stalled', 'hazard', `main thread blocked in ${stuck} for the whole ${sample}, never woken`, evidence, fix);
  return finding(
    'stalled',
    'ok',
    `main thread ${second.state === 'R' ? 'running' : `waiting (${describe(second)})`}, not stalled`,
    evidence,
  );
}

/** The syscall (or kernel wait) the thread slept in through both samples, unless it is the event loop's. */
function stuckIn(first: ThreadSample, second: ThreadSample): string | undefined {
  if (first.voluntarySwitches !== second.voluntarySwitches || second.state === 'R') return undefined;
  if (first.syscall !== null && second.syscall !== null) {
    if (first.syscall !== second.syscall || !/^\d+ /.test(first.syscall)) return undefined;
    const name = syscallName(first.syscall);
    return EVENT_LOOP_WAITS.has(name) ? undefined : name;
  }
  if (first.wchan === null || first.wchan !== second.wchan || EVENT_LOOP_WCHANS.has(first.wchan)) return undefined;
  return `kernel wait ${first.wchan}`;
}

function syscallName(line: string): string {
  const number = Number(line.split(' ')[0]);
  return names[process.arch]?.[number] ?? `syscall ${number}`;
}

function describe(sample: ThreadSample): string {
  if (sample.syscall === null) return 'unreadable';
  return /^\d+ /.test(sample.syscall) ? syscallName(sample.syscall) : sample.syscall.split(' ')[0]!;
}
