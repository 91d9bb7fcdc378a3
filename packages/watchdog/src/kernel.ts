import { readFileSync } from 'node:fs';
import { procStatFields } from '@bulwark/core';
import type { KernelState } from './protocol.js';

// x86_64 numbers of the syscalls a stuck event loop is usually found in.
const x64Names: Record<number, string> = {
  0: 'read', 1: 'write', 7: 'poll', 17: 'pread64', 23: 'select', 35: 'nanosleep', 43: 'accept', 61: 'wait4',
  202: 'futex', 230: 'clock_nanosleep', 232: 'epoll_wait', 247: 'waitid', 270: 'pselect6', 271: 'ppoll',
  281: 'epoll_pwait', 288: 'accept4', 441: 'epoll_pwait2',
};

/** What the kernel shows for the main thread (its tid is the pid). */
export function readKernelState(): KernelState | undefined {
  const dir = `/proc/self/task/${process.pid}`;
  const fields = procStatFields(`${dir}/stat`);
  if (!fields) return undefined;
  try {
    const syscallText = readFileSync(`${dir}/syscall`, 'utf8').trim();
    const wchan = readFileSync(`${dir}/wchan`, 'utf8').trim();
    const number = /^\d+/.test(syscallText) ? Number(syscallText.split(' ')[0]) : undefined;
    const name = number === undefined ? undefined : process.arch === 'x64' ? (x64Names[number] ?? `syscall ${number}`) : `syscall ${number}`;
    return { state: fields[0] ?? '?', syscall: number, syscallName: name, wchan: wchan === '0' || wchan === '' ? undefined : wchan };
  } catch {
    return undefined;
  }
}
