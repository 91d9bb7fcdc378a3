import { readdirSync } from 'node:fs';
import { type Finding, finding } from './finding.js';
import { removeIpc, sysUidMax } from './logind.js';
import type { ProcessIdentity } from './processes.js';
import { mappedFiles } from './procfs.js';
import { readOr, readText } from './read.js';

const SHM_DEST = 0o1000;
const DELETED = ' (deleted)';

/** A shared-memory object the process has mapped. */
interface Mapped {
  readonly name: string;
  readonly bulwark: boolean;
  readonly removed: boolean;
}

/**
 * Missing semaphore: systemd-logind's RemoveIPC removes a regular user's shared memory and
 * semaphores at its last logout (a cron job's session is enough). System users are spared.
 */
export function checkIpc(who: ProcessIdentity, root: string): Finding {
  const setting = removeIpc(root);
  const sys = sysUidMax(root);
  const system = who.uid <= sys.value;
  const evidence = [
    setting.source,
    `${sys.source}; uid ${who.uid}${who.user ? ` (${who.user})` : ''} is a ${system ? 'system' : 'regular'} user`,
  ];
  if (!setting.enabled) return finding('ipc', 'ok', 'RemoveIPC=no: logind leaves IPC objects alone', evidence);
  if (system) return finding('ipc', 'ok', `uid ${who.uid} is a system user: RemoveIPC spares its IPC objects`, evidence);

  const mapped = mappedIpc(who.pid);
  const ours = readOr(() => readdirSync('/dev/shm'), [] as string[]).filter((n) => n.startsWith(`bulwark.${who.uid}.`));
  evidence.push(`/dev/shm: ${ours.length ? ours.join(', ') : `no bulwark breaker segment of uid ${who.uid}`}`);
  const sems = sysvSemaphores(who.uid);
  if (sems > 0) evidence.push(`/proc/sysvipc/sem: ${sems} SysV semaphore set(s) of uid ${who.uid}, removed at its last logout too`);
  evidence.push(
    `/proc/${who.pid}/maps: ${mapped.length ? mapped.map((m) => `${m.name}${m.removed ? ' (removed)' : ''}`).join(', ') : 'no shared memory mapped'}`,
  );

  const foreign = mapped.filter((m) => !m.bulwark);
  const lost = mapped.filter((m) => m.bulwark && m.removed && !mapped.some((o) => o.name === m.name && !o.removed));
  const fix = `RemoveIPC=no in ${root === '/' ? '' : '<root>'}/etc/systemd/logind.conf.d/bulwark.conf ([Login] section), or run the service as a system user (uid <= ${sys.value})`;
  if (foreign.length || lost.length) {
    const what = [
      ...(foreign.length ? [`maps ${foreign.map((m) => m.name).join(', ')}, which nothing re-creates`] : []),
      ...(lost.length
        ? [`still maps removed breaker segment(s) ${lost.map((m) => m.name).join(', ')}, not re-created (recreate: false?)`]
        : []),
    ];
    return finding(
      'ipc',
      'hazard',
      `RemoveIPC=yes removes uid ${who.uid}'s IPC at its last logout; the process ${what.join('; ')}`,
      evidence,
      fix,
    );
  }
  if (mapped.length)
    return finding(
      'ipc',
      'covered',
      `RemoveIPC=yes removes uid ${who.uid}'s IPC at its last logout; the breaker re-creates its segments when recreate is on (its default; not visible from outside)`,
      evidence,
      fix,
    );
  return finding('ipc', 'ok', `RemoveIPC=yes applies to uid ${who.uid}, but the process maps no shared memory`, evidence);
}

/** POSIX (/dev/shm) and SysV (/SYSV<key>) segments in the process's maps, and whether each was removed. */
function mappedIpc(pid: number): Mapped[] {
  const sysv = sysvSegments();
  const mapped: Mapped[] = [];
  for (const path of mappedFiles(pid)) {
    const name = path.endsWith(DELETED) ? path.slice(0, -DELETED.length) : path;
    if (name.startsWith('/dev/shm/')) {
      mapped.push({ name, bulwark: name.startsWith('/dev/shm/bulwark.'), removed: path.endsWith(DELETED) });
    } else if (name.startsWith('/SYSV')) {
      // SysV mappings always read "(deleted)"; the segment's own row tells whether it was removed.
      const key = parseInt(name.slice(5), 16);
      const row = sysv.find((r) => r.key === key);
      mapped.push({ name: `SysV key 0x${name.slice(5)}`, bulwark: false, removed: row === undefined || (row.perms & SHM_DEST) !== 0 });
    }
  }
  return mapped;
}

function sysvSegments(): Array<{ key: number; perms: number }> {
  const lines = (readText('/proc/sysvipc/shm') ?? '').split('\n').slice(1);
  return lines
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length > 7)
    .map((f) => ({ key: Number(f[0]), perms: parseInt(f[2]!, 8) }));
}

function sysvSemaphores(uid: number): number {
  const lines = (readText('/proc/sysvipc/sem') ?? '').split('\n').slice(1);
  return lines.map((l) => l.trim().split(/\s+/)).filter((f) => f.length > 5 && Number(f[4]) === uid).length;
}
