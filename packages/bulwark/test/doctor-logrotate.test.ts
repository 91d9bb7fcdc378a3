import { type NodeChild, logrotate, requireCommand } from '@bulwark/test-rig';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Leftovers, examine, findings, until } from './doctor-helpers.js';

const left = new Leftovers();
afterEach(() => left.remove());

/** Two logs in a temp folder, written by a fixture service (appending unless `flags` says otherwise). */
async function writer(env: Record<string, string> = {}): Promise<{ child: NodeChild; logs: string[] }> {
  const dir = left.dir();
  const logs = [join(dir, 'access.log'), join(dir, 'error.log')];
  const child = await left.start('service.cjs', { env: { LOGS: logs.join(','), ...env } });
  return { child, logs };
}

/**
 * A host whose /etc/logrotate.conf holds `conf`. Each file with a block is checked first by the real
 * logrotate (`-d` parses it and rotates nothing), so every configuration here is one it accepts.
 */
function hostWith(conf: string, extra: Record<string, string> = {}): string {
  const files = { '/etc/logrotate.conf': conf, ...extra };
  const root = left.host(files);
  for (const [path, text] of Object.entries(files))
    if (text.includes('{'))
      execFileSync(requireCommand('logrotate'), ['-d', '-s', join(root, 'state'), join(root, path)], { stdio: 'pipe' });
  return root;
}

/** Whether the child writes `path` through one of its fds right now. */
const writesTo = (child: NodeChild, path: string) =>
  readdirSync(`/proc/${child.pid}/fd`).some((fd) => readlinkOr(`/proc/${child.pid}/fd/${fd}`) === path);
const readlinkOr = (link: string) => {
  try {
    return readlinkSync(link);
  } catch {
    return '';
  }
};

const block = (logs: readonly string[], lines: readonly string[]) => `${logs.join(' ')} {\n${lines.map((l) => `  ${l}\n`).join('')}}\n`;
const logrotateFindings = async (pid: number, root: string) => findings(await examine(pid, { root }), 'logrotate');

describe('bulwark doctor: logrotate against the logs a process writes (Loser buys)', () => {
  it('flags two logs in one block with a HUP postrotate and no sharedscripts: two HUPs milliseconds apart', async () => {
    const { child, logs } = await writer();
    const root = hostWith(block(logs, ['daily', 'create 0644', 'nosharedscripts', 'postrotate', `  kill -HUP ${child.pid}`, 'endscript']));
    const [burst] = await logrotateFindings(child.pid, root);
    expect(burst).toMatchObject({ status: 'hazard', summary: expect.stringContaining('2 HUPs milliseconds apart') });
    expect(burst!.evidence[0]).toContain(
      `/etc/logrotate.conf:1: 2 logs (${logs.join(', ')}), nosharedscripts, script: kill -HUP ${child.pid}`,
    );
    expect(burst!.fix).toContain('sharedscripts');
  });

  it('calls the same burst covered when the process runs the hup guard (its leak budget file shows it)', async () => {
    const { child, logs } = await writer({ HUP: 'budget' });
    const root = hostWith(block(logs, ['create', 'postrotate', `  /bin/kill -s HUP ${child.pid}`, 'endscript']));
    const found = await logrotateFindings(child.pid, root);
    expect(found.map((f) => f.status)).toEqual(['covered']);
    expect(found[0]!.evidence.at(-1)).toContain('coalesces a burst into one reload');
  });

  it('flags copytruncate on a log written without O_APPEND: a NUL hole after each truncation', async () => {
    const { child, logs } = await writer({ LOG_FLAGS: 'w' });
    const root = hostWith(block(logs, ['copytruncate']));
    const found = await logrotateFindings(child.pid, root);
    expect(found).toHaveLength(2);
    for (const f of found) {
      expect(f).toMatchObject({ status: 'hazard', summary: expect.stringContaining('without O_APPEND') });
      expect(f.evidence[1]).toMatch(/flags 0\d+ \(no O_APPEND\), pos \d+/);
    }
    // The hole is real: logrotate truncates, the next write lands at the old offset.
    await until(() => statSync(logs[0]!).size > 0, 'a first line');
    const rotation = logrotate({ logs, create: false, directives: ['copytruncate'] });
    await rotation.rotateOrThrow();
    rotation.remove();
    await until(() => statSync(logs[0]!).size > 0, 'a line after the truncation');
    expect(readFileSync(logs[0]!)[0]).toBe(0);
  });

  it('passes copytruncate on logs opened with O_APPEND', async () => {
    const { child, logs } = await writer();
    const root = hostWith(block(logs, ['copytruncate']));
    expect((await logrotateFindings(child.pid, root)).map((f) => f.status)).toEqual(['ok']);
  });

  it('flags create with no signal: the process would go on writing into the rotated file', async () => {
    const { child, logs } = await writer({ HUP: 'guard' });
    const root = hostWith(block(logs, ['create 0640', 'sharedscripts', 'postrotate', '  echo rotated >/dev/null', 'endscript']));
    const found = await logrotateFindings(child.pid, root);
    expect(found.map((f) => f.summary)).toEqual(
      logs.map((log) => `/etc/logrotate.conf:1 moves ${log} aside and tells the process nothing: it keeps writing into the rotated copy`),
    );
    expect(found[0]!.evidence[0]).toContain('create, no copytruncate, scripts send no signal: echo rotated >/dev/null');
  });

  it('flags a log the process still writes after the real logrotate rotated it', async () => {
    const { child, logs } = await writer();
    const rotation = logrotate({ logs });
    await rotation.rotateOrThrow();
    const root = hostWith(rotation.config);
    rotation.remove();
    const summaries = (await logrotateFindings(child.pid, root)).map((f) => f.summary);
    expect(summaries).toContain(`writes ${logs[0]}.1, a copy logrotate already rotated: the live log gets none of its lines`);
    expect(summaries).toContain(`writes ${logs[1]}.1, a copy logrotate already rotated: the live log gets none of its lines`);
    expect(readFileSync(logs[0]!, 'utf8')).toBe('');
  });

  it('flags a log the process still writes after it was deleted', async () => {
    const { child, logs } = await writer();
    unlinkSync(logs[0]!);
    const found = await logrotateFindings(child.pid, left.host({}));
    expect(found).toEqual([
      expect.objectContaining({
        status: 'hazard',
        summary: `writes ${logs[0]}, which is deleted: its lines reach no file and the disk space stays used`,
      }),
    ]);
    expect(found[0]!.evidence[0]).toMatch(new RegExp(`^/proc/${child.pid}/fd/\\d+ -> ${logs[0]} \\(deleted\\)$`));
  });

  it('passes a correct configuration (included from logrotate.d): sharedscripts, one HUP, a guard that reopens; before and after a real rotation', async () => {
    const { child, logs } = await writer({ HUP: 'guard' });
    const app = block([join(logs[0]!, '../*.log')], ['missingok', 'sharedscripts', 'postrotate', `  kill -HUP ${child.pid}`, 'endscript']);
    // A leftover from a package upgrade, which logrotate skips (tabooext): it would be a burst.
    const old = block(logs, ['postrotate', `  kill -HUP ${child.pid}`, 'endscript']);
    const root = hostWith('# global defaults\nweekly\nrotate 4\ncreate\ninclude /etc/logrotate.d\n', {
      '/etc/logrotate.d/app': app,
      '/etc/logrotate.d/app.dpkg-old': old,
    });
    const before = await logrotateFindings(child.pid, root);
    expect(before).toEqual([expect.objectContaining({ status: 'ok', summary: '2 log(s) rotated safely for this process' })]);
    const rotation = logrotate({ logs, sharedscripts: true, postrotate: [`kill -HUP ${child.pid}`] });
    await rotation.rotateOrThrow();
    rotation.remove();
    expect(existsSync(`${logs[0]}.1`)).toBe(true);
    await until(() => logs.every((log) => writesTo(child, log)), 'the guard to reopen both logs');
    expect((await logrotateFindings(child.pid, root)).map((f) => f.status)).toEqual(['ok']);
  });
});
