import { type Finding, finding } from './finding.js';
import type { Listener } from './sockets.js';

/**
 * Deaf: a listening socket whose accept queue holds connections at both samples, and at least one
 * of them waited through the whole sample (or, where the kernel hides identities, the queue never
 * shrank). A live server accepts within milliseconds even under load.
 */
export function checkDeaf(pid: number, before: readonly Listener[], after: readonly Listener[], sampleMs: number): Finding {
  const seconds = (sampleMs / 1000).toFixed(1);
  const evidence: string[] = [];
  const deaf: string[] = [];
  for (const first of before) {
    const second = after.find((l) => l.inode === first.inode);
    if (!second) continue;
    evidence.push(`${first.name} (socket:[${first.inode}]): accept queue ${first.queued} then ${second.queued} after ${seconds} s`);
    if (first.queued === 0 || second.queued === 0) continue;
    const stuck = first.waiting && second.waiting ? [...first.waiting].filter((k) => second.waiting!.has(k)).length : null;
    if (stuck === null ? second.queued >= first.queued : stuck > 0)
      deaf.push(
        `${first.name}: ${stuck === null ? `${second.queued} waiting, never fewer` : `${stuck} connection(s) waited the whole ${seconds} s`}`,
      );
  }
  const where = `/proc/${pid}/fd socket inodes matched in /proc/${pid}/net/{tcp,tcp6,unix}`;
  if (evidence.length === 0) return finding('deaf', 'ok', 'no listening socket', [where]);
  if (deaf.length === 0) return finding('deaf', 'ok', `${evidence.length} listening socket(s), accepting`, [where, ...evidence]);
  return finding(
    'deaf',
    'hazard',
    `alive but not accepting: ${deaf.join('; ')}`,
    [where, ...evidence],
    "its accept loop is stuck (a blocked thread, a lost poll registration): restart it; @bulwark/watchdog's probe catches this from inside and keeps a stack",
  );
}
