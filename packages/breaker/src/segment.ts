import { closeSync, openSync, readFileSync, readSync, statSync, unlinkSync } from 'node:fs';
import { processGlobal, sleepSync } from '@bulwark/core';
import { SharedMemoryError } from './errors.js';
import { WORDS, checkHeader, hash31, writeHeader } from './layout.js';
import { shm } from './native.js';

export type IpcMode = 'posix' | 'sysv';

/** Where a resource's counts live on this host: one shared-memory object, created 0600, keyed by name and uid. */
export interface Segment {
  readonly words: Int32Array;
  readonly ipc: IpcMode;
  /** The SysV key or the POSIX name. */
  readonly key: number | string;
  /** The SysV shmid or the POSIX file's inode: changes when the object is re-created. */
  readonly id: number;
  /** Whether `created` came from this process (it wrote a fresh header). */
  readonly created: boolean;
  /** False once the object was removed (ipcrm, shm_unlink, systemd-logind's RemoveIPC) or replaced. */
  stillThere(): boolean;
}

const BYTES = WORDS * 4;
/** How long a reader waits for a creator to finish the header before calling it bad. */
const INIT_GRACE_MS = 200;
const uid = (): number => process.getuid?.() ?? 0;
/** Group and other permission bits: a segment with any of them set could be forged by another user. */
const OPEN_TO_OTHERS = 0o077;

/** Opens the resource's segment, creating it (or replacing a bad one) when needed. */
export function openSegment(name: string, ipc: IpcMode): Segment {
  const nameHash = hash31(`bulwark:${name}`);
  return ipc === 'posix' ? openPosix(name, nameHash) : openSysv(name, nameHash);
}

// ---- POSIX: /dev/shm/bulwark.<uid>.<name>

const posixName = (name: string): string => `/bulwark.${uid()}.${name}`;

function openPosix(name: string, nameHash: number): Segment {
  const key = posixName(name);
  const path = `/dev/shm${key}`;
  const deadline = Date.now() + 2_000;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    const before = statSync(path, { throwIfNoEntry: false });
    if (before && before.uid !== uid()) throw new SharedMemoryError(`${path} belongs to uid ${before.uid}, not ${uid()}`);
    if (before && (before.mode & OPEN_TO_OTHERS) !== 0) {
      unlinkQuietly(path); // group or others could write the counts: never trusted
      continue;
    }
    if (!before) {
      const words = shm().create(WORDS, 'Int32Array', key, '600');
      if (!words) continue; // another process created it first
      writeHeader(words, nameHash);
      return posixSegment(words, key, path, statSync(path).ino, true);
    }
    const verdict = posixFileCheck(path, before.size);
    if (verdict === 'initializing' && Date.now() - before.ctimeMs < INIT_GRACE_MS) {
      pause();
      continue;
    }
    if (verdict !== 'ok') {
      unlinkQuietly(path);
      continue;
    }
    const words = shm().get(key, 'Int32Array');
    const after = statSync(path, { throwIfNoEntry: false });
    if (!words || !after || after.ino !== before.ino || (after.mode & OPEN_TO_OTHERS) !== 0) continue;
    const header = settle(words, nameHash, before.ctimeMs);
    if (header === 'ok') return posixSegment(words, key, path, before.ino, false);
    if (header !== 'initializing') unlinkQuietly(path); // 'bad' or 'foreign': never trusted
  }
  throw new SharedMemoryError(`could not open shared memory ${path}`);
}

/** shm-typed-array keeps the byte size in the first 8 bytes and trusts it: check it before mapping. */
function posixFileCheck(path: string, size: number): 'ok' | 'initializing' | 'bad' {
  if (size === 0) return 'initializing';
  if (size !== BYTES + 8) return 'bad';
  const head = Buffer.alloc(8);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 8, 0);
  } finally {
    closeSync(fd);
  }
  const stored = head.readBigUInt64LE(0);
  if (stored === 0n) return 'initializing';
  return stored === BigInt(BYTES) ? 'ok' : 'bad';
}

function posixSegment(words: Int32Array, key: string, path: string, ino: number, created: boolean): Segment {
  return {
    words,
    ipc: 'posix',
    key,
    id: ino,
    created,
    stillThere: () => statSync(path, { throwIfNoEntry: false })?.ino === ino,
  };
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // someone else replaced it first
  }
}

// ---- SysV: key = hash of uid and name, probing past keys held by other users or other resources

interface SysvRow {
  readonly key: number;
  readonly shmid: number;
  readonly perms: number;
  readonly size: number;
  readonly uid: number;
}

/** Rows of /proc/sysvipc/shm; a removed segment still attached somewhere shows key 0 and SHM_DEST. */
function sysvRows(): SysvRow[] {
  const lines = readFileSync('/proc/sysvipc/shm', 'latin1').split('\n').slice(1);
  const rows: SysvRow[] = [];
  for (const line of lines) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    rows.push({ key: Number(f[0]), shmid: Number(f[1]), perms: parseInt(f[2]!, 8), size: Number(f[3]), uid: Number(f[7]) });
  }
  return rows;
}

const SHM_DEST = 0o1000;
const sysvKey = (name: string, forUid: number, probe: number): number =>
  ((hash31(`bulwark:${forUid}:${name}`) + probe * 7919) % 0x7ffffffe) + 1;

function openSysv(name: string, nameHash: number): Segment {
  const deadline = Date.now() + 2_000;
  let probe = 0;
  while (Date.now() < deadline && probe < 16) {
    const key = sysvKey(name, uid(), probe);
    const row = sysvRows().find((r) => r.key === key);
    if (row && row.uid !== uid()) {
      probe++; // another user's segment: never shared, never touched
      continue;
    }
    if (!row) {
      const words = shm().create(WORDS, 'Int32Array', key, '600');
      if (!words) continue;
      writeHeader(words, nameHash);
      return sysvSegment(words, key, true);
    }
    if (row.size !== BYTES || (row.perms & OPEN_TO_OTHERS) !== 0) {
      if (!removeSysv(key, row.shmid)) probe++;
      continue;
    }
    const firstAttach = !attachedSysv.has(row.shmid);
    const words = shm().get(key, 'Int32Array');
    if (!words) continue;
    attachedSysv.add(row.shmid);
    const header = settle(words, nameHash, Date.now());
    if (header === 'ok') return sysvSegment(words, key, false);
    // shm-typed-array's destroy() detaches its first mapping of that shmid: only ours if just made.
    if (header === 'foreign' || !firstAttach || !removeSysv(key, -1)) probe++;
  }
  throw new SharedMemoryError(`could not open SysV shared memory for ${name}`);
}

/**
 * Shmids this process attached, across every copy of this package (ESM and CJS): the addon keeps
 * one mapping address per shmid, and destroy() unmaps it, so a segment still in use here is never
 * destroyed through it.
 */
const attachedSysv: Set<number> = processGlobal('breaker.sysv-attached', () => new Set<number>());

function removeSysv(key: number, shmid: number): boolean {
  if (shmid !== -1 && attachedSysv.has(shmid)) return false;
  shm().destroy(key);
  return true;
}

function sysvSegment(words: Int32Array, key: number, created: boolean): Segment {
  const shmid = sysvRows().find((r) => r.key === key)?.shmid ?? -1;
  attachedSysv.add(shmid);
  return {
    words,
    ipc: 'sysv',
    key,
    id: shmid,
    created,
    stillThere: () => {
      const row = sysvRows().find((r) => r.shmid === shmid);
      return row !== undefined && row.key === key && (row.perms & SHM_DEST) === 0;
    },
  };
}

/** Waits (briefly, synchronously) for a creator that is still writing the header. */
function settle(words: Int32Array, nameHash: number, since: number): ReturnType<typeof checkHeader> {
  let header = checkHeader(words, nameHash);
  while (header === 'initializing' && Date.now() - since < INIT_GRACE_MS) {
    pause();
    header = checkHeader(words, nameHash);
  }
  return header === 'initializing' ? 'bad' : header;
}

/** A 1 ms synchronous pause, used only while opening a segment that another process is creating. */
const pause = (): void => sleepSync(1);
