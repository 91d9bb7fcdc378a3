import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** One open file descriptor of a process, as /proc/<pid>/fd and fdinfo show it. */
export interface OpenFd {
  readonly fd: number;
  /** What the fd points at: a path (with ` (deleted)` when unlinked), `socket:[inode]`, `pipe:[inode]`, ... */
  readonly target: string;
  /** open(2) flags from fdinfo (octal there). */
  readonly flags: number;
  /** The file offset from fdinfo. */
  readonly pos: number;
}

const O_ACCMODE = 0o3;
const O_APPEND = 0o2000;
export const writable = (fd: OpenFd): boolean => (fd.flags & O_ACCMODE) !== 0;
export const appends = (fd: OpenFd): boolean => (fd.flags & O_APPEND) !== 0;

/** The open fds of `pid`; an fd closed while it is read is left out. */
export function openFds(pid: number): OpenFd[] {
  const fds: OpenFd[] = [];
  for (const name of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${name}`);
      const info = readFileSync(`/proc/${pid}/fdinfo/${name}`, 'latin1');
      const flags = parseInt(/^flags:\s*(\d+)/m.exec(info)?.[1] ?? '0', 8);
      const pos = Number(/^pos:\s*(\d+)/m.exec(info)?.[1] ?? 0);
      fds.push({ fd: Number(name), target, flags, pos });
    } catch {
      // closed between readdir and readlink: not open any more
    }
  }
  return fds;
}

/** `/proc/<pid>/status` as key → value. */
export function procStatus(pid: number, tid = pid): Map<string, string> {
  const path = tid === pid ? `/proc/${pid}/status` : `/proc/${pid}/task/${tid}/status`;
  const lines = readFileSync(path, 'latin1').split('\n');
  return new Map(lines.filter((l) => l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
}

/** The soft and hard RLIMIT_NOFILE from /proc/<pid>/limits (null for unlimited). */
export function nofileLimit(pid: number): { soft: number | null; hard: number | null } {
  const line = readFileSync(`/proc/${pid}/limits`, 'latin1')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  const [soft, hard] = (line ?? '').slice('Max open files'.length).trim().split(/\s+/);
  const value = (v: string | undefined) => (v === undefined || v === 'unlimited' ? null : Number(v));
  return { soft: value(soft), hard: value(hard) };
}

/** The environment `pid` was started with, or {} when it cannot be read. */
export function procEnviron(pid: number): Record<string, string> {
  try {
    const entries = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
    return Object.fromEntries(entries.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  } catch {
    return {};
  }
}

/** The distinct file paths `pid` has mapped (/proc/<pid>/maps), ` (deleted)` kept. */
export function mappedFiles(pid: number): string[] {
  const paths = new Set<string>();
  for (const line of readFileSync(`/proc/${pid}/maps`, 'latin1').split('\n')) {
    const path = line.split(/\s+/).slice(5).join(' ');
    if (path.startsWith('/')) paths.add(path);
  }
  return [...paths];
}

/** The command line of `pid`, arguments joined with spaces. */
export function commandLine(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
}
