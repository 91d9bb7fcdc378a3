import { statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ForecastRead } from './forecast.js';
import { type Finding, finding } from './finding.js';
import { expandGlob, globMatches, globSource } from './glob.js';
import type { RotateBlock } from './logrotate-config.js';
import { type OpenFd, appends, writable } from './procfs.js';
import { readOr } from './read.js';

const DELETED = ' (deleted)';
// kill -HUP / -1 / -s HUP, pkill, killall, systemctl kill -s HUP or reload, init scripts' reload.
const SENDS_HUP =
  /\b(kill|pkill|killall)\b[^\n;|&]*\s-(-signal[= ]?\s*|s\s*)?(SIG)?(HUP|1)\b|\bsystemctl\b[^\n;|&]*\b(kill\b[^\n;|&]*(SIG)?HUP|reload)|\b(invoke-rc\.d|service)\s+\S+\s+reload|\/etc\/init\.d\/\S+\s+reload/;
const SIGNALS = /\b(kill|pkill|killall|reload|reopen|restart)\b/;
const ROTATED_SUFFIX = String.raw`(\.\d+|[-.]\d{8}(\d{2})?|[-.]\d{4}-\d{2}-\d{2}([-_]\d+)?)(\.(gz|bz2|xz|zst|lz4|Z))?`;

/** A regular file the process holds open for writing. */
interface Written {
  readonly fd: OpenFd;
  readonly path: string;
  readonly deleted: boolean;
}

/**
 * Loser buys: the logs the process writes against logrotate's configuration. Reports a burst of
 * HUPs (several logs, a HUP postrotate, no sharedscripts), copytruncate on a file written without
 * O_APPEND (a NUL hole), a rename rotation that nothing tells the process about, and a log it still
 * writes after it was rotated or deleted.
 */
export function checkLogrotate(
  pid: number,
  fds: readonly OpenFd[],
  blocks: readonly RotateBlock[],
  forecast: ForecastRead | undefined,
): Finding[] {
  const written = writtenFiles(pid, fds);
  const found = new Map<string, Finding>();
  const add = (f: Finding) => found.set(f.summary, f);
  for (const file of written) {
    const stale = staleWrite(pid, file, blocks);
    if (stale) add(stale);
    if (file.deleted) continue;
    for (const block of blocks.filter((b) => b.patterns.some((p) => globMatches(p, file.path))))
      for (const f of blockHazards(pid, file, block, forecast)) add(f);
  }
  if (found.size > 0) return [...found.values()];
  const rotated = written.filter((w) => blocks.some((b) => b.patterns.some((p) => globMatches(p, w.path))));
  const evidence = [
    `/proc/${pid}/fd: writes ${written.length ? written.map((w) => w.path).join(', ') : 'no regular file'}`,
    `logrotate configuration: ${blocks.length} block(s)${rotated.length ? `; rotates ${rotated.map((w) => w.path).join(', ')}` : ''}`,
  ];
  const summary = rotated.length ? `${rotated.length} log(s) rotated safely for this process` : 'writes no file that logrotate rotates';
  return [finding('logrotate', 'ok', summary, evidence)];
}

function writtenFiles(pid: number, fds: readonly OpenFd[]): Written[] {
  return fds
    .filter((fd) => writable(fd) && fd.target.startsWith('/') && !/^\/(dev|proc|sys)\//.test(fd.target))
    .filter((fd) => readOr(() => statSync(`/proc/${pid}/fd/${fd.fd}`).isFile(), false))
    .map((fd) => {
      const deleted = fd.target.endsWith(DELETED);
      return { fd, deleted, path: deleted ? fd.target.slice(0, -DELETED.length) : fd.target };
    });
}

/** A log written after logrotate moved it aside, or after it was deleted. */
function staleWrite(pid: number, file: Written, blocks: readonly RotateBlock[]): Finding | undefined {
  const where = `/proc/${pid}/fd/${file.fd.fd} -> ${file.fd.target}`;
  const fix = 'reopen the log on SIGHUP (onHup(reload, { reopen }) or registerReopen from @bulwark/hup) and have postrotate send one';
  const owner = blocks.find((b) => b.patterns.some((p) => globMatches(p, file.path)));
  if (file.deleted && (owner || /\.log\b|\/log\//.test(file.path)))
    return finding(
      'logrotate',
      'hazard',
      `writes ${file.path}, which is deleted: its lines reach no file and the disk space stays used`,
      [where],
      fix,
    );
  for (const block of blocks)
    for (const pattern of block.patterns)
      if (isRotatedCopy(pattern, block.olddir, file.path)) {
        const evidence = [where, `${block.file}:${block.line} rotates ${block.patterns.join(' ')}`];
        return finding(
          'logrotate',
          'hazard',
          `writes ${file.path}, a copy logrotate already rotated: the live log gets none of its lines`,
          evidence,
          fix,
        );
      }
  return undefined;
}

function isRotatedCopy(pattern: string, olddir: string | null, path: string): boolean {
  const same = new RegExp(`^${globSource(pattern)}${ROTATED_SUFFIX}$`).test(path);
  if (same || olddir === null) return same;
  const dir = olddir.startsWith('/') ? olddir : join(dirname(pattern), olddir);
  return new RegExp(`^${globSource(join(dir, basename(pattern)))}${ROTATED_SUFFIX}$`).test(path);
}

function blockHazards(pid: number, file: Written, block: RotateBlock, forecast: ForecastRead | undefined): Finding[] {
  const at = `${block.file}:${block.line}`;
  const fdFacts = `/proc/${pid}/fdinfo/${file.fd.fd}: ${file.path} flags 0${file.fd.flags.toString(8)} (${appends(file.fd) ? 'O_APPEND' : 'no O_APPEND'}), pos ${file.fd.pos}`;
  const scripts = [block.prerotate, block.postrotate].filter((s): s is string => s !== null).join('\n');
  const found: Finding[] = [];
  const logs = new Set([...block.patterns.flatMap(expandGlob), file.path].sort());
  if (!block.sharedscripts && SENDS_HUP.test(scripts) && logs.size >= 2) {
    const evidence = [`${at}: ${logs.size} logs (${[...logs].join(', ')}), nosharedscripts, script: ${oneLine(scripts)}`, fdFacts];
    const summary = `${at} rotates ${logs.size} logs one by one and sends a HUP after each: ${logs.size} HUPs milliseconds apart`;
    if (forecast) evidence.push(`${forecast.path}: a @bulwark/hup guard runs in this process and coalesces a burst into one reload`);
    const fix = forecast
      ? `add sharedscripts to ${at} all the same: one HUP per rotation`
      : `add sharedscripts to ${at}, and guard the process with onHup() from @bulwark/hup`;
    found.push(finding('logrotate', forecast ? 'covered' : 'hazard', summary, evidence, fix));
  }
  if (block.copytruncate && !appends(file.fd))
    found.push(
      finding(
        'logrotate',
        'hazard',
        `${at} copytruncates ${file.path}, which the process writes without O_APPEND: after truncation it writes on at offset ${file.fd.pos}, leaving a hole of NUL bytes`,
        [`${at}: copytruncate`, fdFacts],
        "open the log with O_APPEND (flags: 'a'), or rotate with create and a HUP that reopens it",
      ),
    );
  if (!block.copytruncate && !block.copy && !SIGNALS.test(scripts))
    found.push(
      finding(
        'logrotate',
        'hazard',
        `${at} moves ${file.path} aside and tells the process nothing: it keeps writing into the rotated copy`,
        [
          `${at}: ${block.create ? 'create' : 'nocreate'}, no copytruncate, ${scripts ? `scripts send no signal: ${oneLine(scripts)}` : 'no postrotate'}`,
          fdFacts,
        ],
        `add a postrotate that sends SIGHUP (kill -HUP <pid>) with sharedscripts, and reopen the log on it (onHup(reload, { reopen }) from @bulwark/hup)`,
      ),
    );
  return found;
}

const oneLine = (script: string): string => script.split('\n').filter(Boolean).join('; ').slice(0, 120);
