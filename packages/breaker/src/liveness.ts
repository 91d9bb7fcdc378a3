import { procStatFields } from '@bulwark/core';

/** Low 31 bits of a process's start time in clock ticks since boot, or undefined when it is gone or a zombie. */
function startTime(pid: number): number | undefined {
  const fields = procStatFields(`/proc/${pid}/stat`);
  if (fields === undefined || fields[0] === 'Z' || fields[0] === 'X') return undefined;
  const ticks = Number(fields[19]);
  return Number.isFinite(ticks) ? ticks % 0x80000000 || 1 : undefined;
}

/** This process's start time, read once. */
export const ownStartTime: () => number = (() => {
  let own: number | undefined;
  return () => (own ??= startTime(process.pid) ?? 1);
})();

/**
 * Whether the process that registered as `pid` with start time `start` still runs. A pid that was
 * reused by a newer process has another start time, so its holder is dead. `start` 0 means the
 * holder is still registering: only a vanished pid counts as dead then.
 */
export function isAlive(pid: number, start: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const now = startTime(pid);
  if (now === undefined) return false;
  return start === 0 || now === start;
}
