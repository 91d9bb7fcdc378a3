import { readdirSync, rmSync, unlinkSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Leftovers, examine, findings } from './doctor-helpers.js';

const left = new Leftovers();
afterEach(async () => {
  await left.remove();
  for (const name of readdirSync('/dev/shm')) if (name.includes('doctor-test-')) rmSync(`/dev/shm/${name}`, { force: true });
});

// A user logind would treat as regular: uid 1000 when the tests run as root, else the tester.
const uid = process.getuid!() === 0 ? 1000 : process.getuid!();
const asUser = uid === process.getuid!() ? {} : { uid };
let serial = 0;

/** A worker of a breaker resource as that user, optionally with a segment of its own. */
async function worker(raw = false) {
  const resource = `doctor-test-${process.pid}-${++serial}`;
  const env: Record<string, string> = { RESOURCE: resource, ...(raw && { RAW: `doctor-test-raw-${process.pid}-${serial}` }) };
  const child = await left.start('shm.cjs', { ...asUser, env });
  return { child, segment: `/dev/shm/bulwark.${uid}.${resource}`, raw: `/dev/shm/${env.RAW}` };
}

const logindDefault = '[Login]\n#KillUserProcesses=no\n#RemoveIPC=yes\n';
const loginDefs = (sysUidMax: number) => `UID_MIN 1000\nSYS_UID_MIN 101\nSYS_UID_MAX ${sysUidMax}\n`;

describe("bulwark doctor: logind's RemoveIPC (Missing semaphore)", () => {
  it("flags a regular user's process that maps shared memory nothing re-creates, and names the breaker's segments", async () => {
    const { child, segment, raw } = await worker(true);
    const root = left.host({ '/etc/systemd/logind.conf': logindDefault, '/etc/login.defs': loginDefs(uid - 1) });
    const [ipc] = findings(await examine(child.pid, { root }), 'ipc');
    expect(ipc).toMatchObject({ status: 'hazard', summary: expect.stringContaining(`the process maps ${raw}, which nothing re-creates`) });
    expect(ipc!.evidence).toEqual(
      expect.arrayContaining([
        "not set in logind.conf or logind.conf.d: systemd's default RemoveIPC=yes",
        expect.stringMatching(new RegExp(`^/etc/login.defs: SYS_UID_MAX ${uid - 1}; uid ${uid}( \\(\\S+\\))? is a regular user$`)),
        expect.stringContaining(segment.slice('/dev/shm/'.length)),
      ]),
    );
    expect(ipc!.fix).toContain('RemoveIPC=no');
  });

  it("calls a regular user's breaker segments covered: recreate makes them again", async () => {
    const { child } = await worker();
    const root = left.host({ '/etc/systemd/logind.conf': logindDefault, '/etc/login.defs': loginDefs(uid - 1) });
    expect(findings(await examine(child.pid, { root }), 'ipc').map((f) => f.status)).toEqual(['covered']);
  });

  it('flags a breaker segment removed under the process (as RemoveIPC does) and not re-created', async () => {
    const { child, segment } = await worker();
    unlinkSync(segment);
    const root = left.host({ '/etc/login.defs': loginDefs(uid - 1) });
    const [ipc] = findings(await examine(child.pid, { root }), 'ipc');
    expect(ipc).toMatchObject({ status: 'hazard', summary: expect.stringContaining(`still maps removed breaker segment(s) ${segment}`) });
  });

  it('passes the same process when its user is a system user (SYS_UID_MAX at or above its uid)', async () => {
    const { child } = await worker(true);
    const root = left.host({ '/etc/systemd/logind.conf': logindDefault, '/etc/login.defs': loginDefs(uid) });
    const [ipc] = findings(await examine(child.pid, { root }), 'ipc');
    expect(ipc).toMatchObject({ status: 'ok', summary: `uid ${uid} is a system user: RemoveIPC spares its IPC objects` });
  });

  it('passes a regular user when a logind.conf.d drop-in says RemoveIPC=no (the last file in name order wins)', async () => {
    const { child } = await worker(true);
    const root = left.host({
      '/etc/systemd/logind.conf': '[Login]\nRemoveIPC=yes\n',
      '/etc/systemd/logind.conf.d/10-first.conf': '[Login]\nRemoveIPC=yes\n',
      '/etc/systemd/logind.conf.d/50-bulwark.conf': '[Login]\nRemoveIPC=no\n',
      '/usr/lib/systemd/logind.conf.d/50-bulwark.conf': '[Login]\nRemoveIPC=yes\n',
      '/etc/login.defs': loginDefs(uid - 1),
    });
    const [ipc] = findings(await examine(child.pid, { root }), 'ipc');
    expect(ipc).toMatchObject({
      status: 'ok',
      evidence: expect.arrayContaining(['/etc/systemd/logind.conf.d/50-bulwark.conf: RemoveIPC=no']),
    });
  });
});
