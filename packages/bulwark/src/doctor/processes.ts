import { readdirSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { procStatFields } from '@bulwark/core';
import { commandLine, procStatus } from './procfs.js';
import { readOr, readText } from './read.js';

/** Who a process is: the facts every check starts from. */
export interface ProcessIdentity {
  readonly pid: number;
  /** Real uid (the user logind counts). */
  readonly uid: number;
  /** The user's name from /etc/passwd, or null. */
  readonly user: string | null;
  readonly command: string;
  /** Field 22 of /proc/<pid>/stat: tells a process from a later one with the same pid. */
  readonly startTime: string | null;
}

/** Who `pid` is, or undefined when there is no such process. */
export function identify(pid: number): ProcessIdentity | undefined {
  let status: Map<string, string>;
  try {
    status = procStatus(pid);
  } catch {
    return undefined;
  }
  const uid = Number(status.get('Uid')?.split(/\s+/)[0] ?? -1);
  const command = readOr(() => commandLine(pid), '') || `[${status.get('Name') ?? '?'}]`;
  return { pid, uid, user: userName(uid), command, startTime: procStatFields(`/proc/${pid}/stat`)?.[19] ?? null };
}

/**
 * The Node processes of the user running the doctor, without the doctor itself and the processes
 * that started it (npx, a shell, a test runner).
 */
export function nodeProcessesOfUser(): number[] {
  const uid = process.getuid?.() ?? 0;
  const skip = ancestors(process.pid);
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || skip.has(pid)) continue;
    const exe = readOr(() => basename(readlinkSync(`/proc/${pid}/exe`)), '');
    if (!/^node(js)?(\d+)?$/.test(exe)) continue;
    const owner = readOr(() => Number(procStatus(pid).get('Uid')?.split(/\s+/)[0]), -1);
    if (owner === uid) pids.push(pid);
  }
  return pids.sort((a, b) => a - b);
}

/** `pid` and the chain of its parents. */
function ancestors(pid: number): Set<number> {
  const chain = new Set<number>();
  for (let p = pid; p > 1 && !chain.has(p);) {
    chain.add(p);
    p = Number(procStatFields(`/proc/${p}/stat`)?.[1] ?? 0);
  }
  return chain;
}

/** The name of `uid` in this host's /etc/passwd (never under --root: the process runs here). */
function userName(uid: number): string | null {
  const passwd = readText('/etc/passwd') ?? '';
  const line = passwd.split('\n').find((l) => l.split(':')[2] === String(uid));
  return line?.split(':')[0] ?? null;
}
