import { warn } from '@bulwark/core';
import { delay } from '@bulwark/core';
import { fileLinks, pathState, writes } from './fd.js';

/** A regular file the process still writes to although its path now names another file. */
export interface StaleLog {
  readonly fd: number;
  /** The path the writer meant: where it opened the file. */
  readonly path: string;
  /** Where the file is now (`/proc/self/fd/<fd>`), ` (deleted)` appended once deleted. */
  readonly now: string;
}

const deleted = ' (deleted)';
/** A reopen closes the old fd a moment after it is ready: a stale fd is checked again this often... */
const recheckMs = 10;
/** ...for at most this long before it is reported. */
const recheckForMs = 200;

/**
 * Finds what the process still writes to after a reload whose path names another file now:
 * a file deleted while open, or one renamed from the path its writer knows (`known`: from the
 * writers bulwark found or was given), from the name it had after the previous reload
 * (`previous`), or, for a file first seen rotated, from the name before logrotate's suffix. Resolves with the stale ones and the names of every file open now, for the next check.
 */
export async function findStale(
  known: ReadonlyMap<number, string>,
  previous: ReadonlyMap<number, string>,
): Promise<{ stale: StaleLog[]; links: Map<number, string> }> {
  let links = fileLinks();
  let stale = staleIn(links, known, previous);
  for (let waited = 0; stale.length > 0 && waited < recheckForMs; waited += recheckMs) {
    await delay(recheckMs);
    links = fileLinks();
    stale = staleIn(links, known, previous).filter((s) => stale.some((t) => t.fd === s.fd));
  }
  return { stale, links };
}

/** logrotate's names for a rotated file: `app.log.1`, `app.log-20261202`, `app.log-2026120217`, `app.log.2026-12-02`. */
const rotatedName = /^(.+?)(?:\.\d{1,4}|-\d{8}(?:\d{2})?|\.\d{4}-\d{2}-\d{2})$/;

/** For a file nobody told us about: the path it had before logrotate renamed it, when its name says so. */
function beforeRotation(now: string): string | undefined {
  return rotatedName.exec(now)?.[1];
}

function staleIn(
  links: ReadonlyMap<number, string>,
  known: ReadonlyMap<number, string>,
  previous: ReadonlyMap<number, string>,
): StaleLog[] {
  const stale: StaleLog[] = [];
  for (const [fd, now] of links) {
    const meant = known.get(fd) ?? previous.get(fd) ?? beforeRotation(now);
    const gone = now.endsWith(deleted);
    const moved = !gone && meant !== undefined && meant !== now && pathState(fd, meant) === 'moved';
    if (!gone && !moved) continue;
    // Only files written to: a reader of a rotated file (tail -F style) is not a stale log.
    if (!writes(fd)) continue;
    stale.push({ fd, path: meant ?? now.slice(0, -deleted.length), now });
  }
  return stale;
}

/** The warning for a stale log: fd, path and what to do. */
export function warnStale({ fd, path, now }: StaleLog): void {
  warn(
    'hup',
    'BULWARK_HUP_STALE_LOG',
    `fd ${fd} still writes to ${now}, which ${path} no longer names (renamed or deleted by log rotation): its lines never reach ${path}. Register its writer with registerReopen(), or reopen it in your reload`,
  );
}
