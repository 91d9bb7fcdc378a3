import type { OpenFd } from './procfs.js';
import { readText } from './read.js';

/** A listening socket of the process and the connections waiting in its accept queue. */
export interface Listener {
  /** `tcp 127.0.0.1:8080`, `tcp6 [::]:8080`, `unix /run/app.sock`. */
  readonly name: string;
  readonly inode: number;
  /** The accept queue length (rx_queue of the LISTEN row; the waiting rows for unix). */
  readonly queued: number;
  /** One key per connection waiting to be accepted, or null when the kernel hides their identity. */
  readonly waiting: ReadonlySet<string> | null;
}

const LISTEN = '0A';
// A completed connection not yet accepted has no inode: ESTABLISHED, or CLOSE_WAIT once the client gave up.
const WAITING_STATES = new Set(['01', '08']);
const SO_ACCEPTCON = 0x10000;

/** The listening TCP and unix sockets among `fds`, read from the process's own network namespace. */
export function listeners(pid: number, fds: readonly OpenFd[]): Listener[] {
  const inodes = new Set(fds.flatMap((fd) => /^socket:\[(\d+)\]$/.exec(fd.target)?.[1] ?? []).map(Number));
  if (inodes.size === 0) return [];
  return [...tcpListeners(pid, 'tcp', inodes), ...tcpListeners(pid, 'tcp6', inodes), ...unixListeners(pid, inodes)];
}

function tcpListeners(pid: number, proto: 'tcp' | 'tcp6', inodes: ReadonlySet<number>): Listener[] {
  const rows = (readText(`/proc/${pid}/net/${proto}`) ?? '')
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 10);
  const found: Listener[] = [];
  for (const f of rows) {
    const inode = Number(f[9]);
    if (f[3] !== LISTEN || !inodes.has(inode)) continue;
    const [addr, port] = f[1]!.split(':');
    const any = /^0+$/.test(addr!);
    const waiting = rows
      .filter((r) => WAITING_STATES.has(r[3]!) && r[9] === '0' && r[1]!.endsWith(`:${port}`) && (any || r[1]!.startsWith(`${addr}:`)))
      .map((r) => `${r[1]}-${r[2]}`);
    found.push({
      name: `${proto} ${address(addr!)}:${parseInt(port!, 16)}`,
      inode,
      queued: parseInt(f[4]!.split(':')[1]!, 16),
      waiting: new Set(waiting),
    });
  }
  return found;
}

function unixListeners(pid: number, inodes: ReadonlySet<number>): Listener[] {
  // Num RefCount Protocol Flags Type St Inode Path; a connection waiting for accept() shows the
  // listener's path and no inode.
  const rows = (readText(`/proc/${pid}/net/unix`) ?? '')
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 8);
  const found: Listener[] = [];
  for (const f of rows) {
    const inode = Number(f[6]);
    if (!inodes.has(inode) || (parseInt(f[3]!, 16) & SO_ACCEPTCON) === 0) continue;
    const path = f.slice(7).join(' ');
    const waiting = rows.filter((r) => r[6] === '0' && r.slice(7).join(' ') === path).map((r) => r[0]!);
    // Without kernel pointers (kptr_restrict) every Num reads zero: only the count is known.
    const anonymous = waiting.some((num) => /^0+:$/.test(num));
    found.push({ name: `unix ${path}`, inode, queued: waiting.length, waiting: anonymous ? null : new Set(waiting) });
  }
  return found;
}

/** A /proc/net/tcp address (little-endian hex words) in the usual notation. */
function address(hex: string): string {
  const bytes = (word: string) =>
    word
      .match(/../g)!
      .reverse()
      .map((b) => parseInt(b, 16));
  if (hex.length === 8) return bytes(hex).join('.');
  const all = hex.match(/.{8}/g)!.flatMap(bytes);
  const groups = Array.from({ length: 8 }, (_, i) => ((all[i * 2]! << 8) | all[i * 2 + 1]!).toString(16));
  return `[${groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')}]`;
}
