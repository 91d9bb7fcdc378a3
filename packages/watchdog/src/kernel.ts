import { readFileSync } from 'node:fs';
import type { KernelState } from './protocol.js';

// Names of the syscalls a stuck thread is found in, by architecture (numbers from the kernel's tables).
const names: Record<string, Record<number, string>> = {
  x64: {
    0: 'read',
    1: 'write',
    2: 'open',
    3: 'close',
    4: 'stat',
    5: 'fstat',
    7: 'poll',
    16: 'ioctl',
    17: 'pread64',
    18: 'pwrite64',
    19: 'readv',
    20: 'writev',
    23: 'select',
    34: 'pause',
    35: 'nanosleep',
    42: 'connect',
    43: 'accept',
    44: 'sendto',
    45: 'recvfrom',
    46: 'sendmsg',
    47: 'recvmsg',
    56: 'clone',
    57: 'fork',
    58: 'vfork',
    59: 'execve',
    61: 'wait4',
    72: 'fcntl',
    74: 'fsync',
    75: 'fdatasync',
    87: 'unlink',
    128: 'rt_sigtimedwait',
    130: 'rt_sigsuspend',
    202: 'futex',
    217: 'getdents64',
    230: 'clock_nanosleep',
    232: 'epoll_wait',
    247: 'waitid',
    257: 'openat',
    262: 'newfstatat',
    263: 'unlinkat',
    270: 'pselect6',
    271: 'ppoll',
    281: 'epoll_pwait',
    288: 'accept4',
    318: 'getrandom',
    332: 'statx',
    426: 'io_uring_enter',
    435: 'clone3',
    437: 'openat2',
    441: 'epoll_pwait2',
  },
  arm64: {
    22: 'epoll_pwait',
    56: 'openat',
    57: 'close',
    63: 'read',
    64: 'write',
    65: 'readv',
    66: 'writev',
    67: 'pread64',
    72: 'pselect6',
    73: 'ppoll',
    82: 'fsync',
    95: 'waitid',
    98: 'futex',
    101: 'nanosleep',
    115: 'clock_nanosleep',
    202: 'accept',
    203: 'connect',
    206: 'sendto',
    207: 'recvfrom',
    220: 'clone',
    221: 'execve',
    242: 'accept4',
    260: 'wait4',
    278: 'getrandom',
    291: 'statx',
    437: 'openat2',
    441: 'epoll_pwait2',
  },
};

/** The name of syscall `number` on this architecture, or `syscall <number>`. */
export function syscallName(number: number): string {
  return names[process.arch]?.[number] ?? `syscall ${number}`;
}

/**
 * What the kernel shows for thread `tid` of this process: its state, and the syscall it sits in
 * (`/proc/.../syscall` reads `running` while it runs in user space: JS or native code).
 */
export function readKernelState(tid: number): KernelState | undefined {
  const dir = `/proc/self/task/${tid}`;
  try {
    const stat = readFileSync(`${dir}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '?';
    const syscallText = readFileSync(`${dir}/syscall`, 'utf8').trim();
    const wchan = readFileSync(`${dir}/wchan`, 'utf8').trim();
    const number = /^\d+/.test(syscallText) ? Number(syscallText.split(' ')[0]) : undefined;
    return {
      tid,
      state,
      syscall: number,
      syscallName: number === undefined ? undefined : syscallName(number),
      wchan: wchan === '0' || wchan === '' ? undefined : wchan,
    };
  } catch {
    return undefined;
  }
}

/** True while thread `tid` of this process exists (a worker that ended without saying so is gone). */
export function threadAlive(tid: number): boolean {
  try {
    readFileSync(`/proc/self/task/${tid}/stat`, 'latin1');
    return true;
  } catch {
    return false;
  }
}
