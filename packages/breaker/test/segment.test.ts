import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Resource } from '../dist/index.js';
import { closeOpened, destroySysv, openForTest, sleep, uid, uniqueName } from './host.js';

const shm = createRequire(import.meta.url)('shm-typed-array') as {
  get(key: number | string, type: 'Int32Array'): Int32Array | null;
  create(count: number, type: 'Int32Array', key: number | string, perm: string): Int32Array | null;
};
// The segment's layout, as a reader outside the package sees it.
const USED = 8;
const slot = (i: number) => ({ pid: 32 + i * 4, start: 33 + i * 4, held: 34 + i * 4 });

const open = openForTest;
afterEach(closeOpened);

function sysvPerms(shmid: number): string | undefined {
  const row = readFileSync('/proc/sysvipc/shm', 'latin1')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find((f) => f[1] === String(shmid));
  return row?.[2];
}

const words = (res: Resource): Int32Array => shm.get(res.ipc.key, 'Int32Array')!;
const hold = (res: Resource) => res.run(() => new Promise<void>(() => {}));

describe('shared memory', () => {
  it('is created 0600 in POSIX mode', () => {
    const res = open(uniqueName('mode'), { tickets: 1, ipc: 'posix' });
    expect(statSync(`/dev/shm/bulwark.${uid}.${res.name}`).mode & 0o777).toBe(0o600);
  });

  it('is created 0600 in SysV mode', () => {
    const res = open(uniqueName('mode'), { tickets: 1, ipc: 'sysv' });
    expect(sysvPerms(res.ipc.id)).toBe('600');
  });

  it('refuses a POSIX object of the wrong size and re-creates it', async () => {
    const name = uniqueName('size');
    const fd = openSync(`/dev/shm/bulwark.${uid}.${name}`, 'w', 0o600);
    writeSync(fd, Buffer.alloc(100, 0xff));
    closeSync(fd);
    const res = open(name, { tickets: 1, ipc: 'posix' });
    expect(statSync(`/dev/shm/bulwark.${uid}.${name}`).size).toBeGreaterThan(100);
    await expect(res.run(() => 'ran')).resolves.toBe('ran');
  });

  it.each(['posix', 'sysv'] as const)('refuses a %s segment with a wrong magic or version and re-creates it', async (ipc) => {
    for (const word of [0, 1]) {
      const name = uniqueName('header');
      const first = open(name, { tickets: 2, ipc });
      const raw = words(first);
      first.close();
      raw[word] = 0x0bad;
      raw[USED] = 2; // a count that, trusted, would leave no ticket
      const second = open(name, { tickets: 2, ipc });
      expect(second.ipc.id).not.toBe(first.ipc.id);
      await expect(second.run(() => 'ran')).resolves.toBe('ran');
    }
  });

  it('refuses a POSIX object that group or others may access (chmod 0666) and re-creates it 0600', async () => {
    const name = uniqueName('perms');
    const first = open(name, { tickets: 1, ipc: 'posix' });
    const path = `/dev/shm/bulwark.${uid}.${name}`;
    first.close();
    words(first)[USED] = 1; // a count that, trusted, would leave no ticket
    chmodSync(path, 0o666);
    const second = open(name, { tickets: 1, ipc: 'posix' });
    expect(second.ipc.id).not.toBe(first.ipc.id);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await expect(second.run(() => 'ran')).resolves.toBe('ran');
  });

  it('refuses a SysV segment created 0666 at the resource key, even with a valid header, and re-creates it 0600', async () => {
    const name = uniqueName('perms');
    const first = open(name, { tickets: 1, ipc: 'sysv' });
    const key = first.ipc.key as number;
    const valid = Int32Array.from(words(first));
    first.close();
    destroySysv(key);
    const forged = shm.create(valid.length, 'Int32Array', key, '666')!;
    forged.set(valid);
    forged[USED] = 1; // a count that, trusted, would leave no ticket
    const forgedId = Number(
      readFileSync('/proc/sysvipc/shm', 'latin1')
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .find((f) => f[0] === String(key))![1],
    );
    expect(sysvPerms(forgedId)).toBe('666');
    const second = open(name, { tickets: 1, ipc: 'sysv' });
    expect(second.ipc.key).toBe(key);
    expect(second.ipc.id).not.toBe(forgedId);
    expect(sysvPerms(second.ipc.id)).toBe('600');
    await expect(second.run(() => 'ran')).resolves.toBe('ran');
  });

  it('refuses a SysV segment of the wrong size and re-creates it', async () => {
    const name = uniqueName('size');
    const first = open(name, { tickets: 1, ipc: 'sysv' });
    const key = first.ipc.key as number;
    first.close();
    destroySysv(key);
    expect(shm.create(10, 'Int32Array', key, '600')).not.toBeNull();
    const second = open(name, { tickets: 1, ipc: 'sysv' });
    expect(second.ipc.key).toBe(key);
    await expect(second.run(() => 'ran')).resolves.toBe('ran');
  });

  it.each(['posix', 'sysv'] as const)('keeps two names apart in %s mode', async (ipc) => {
    const a = open(uniqueName('a'), { tickets: 1, ipc });
    const b = open(uniqueName('b'), { tickets: 1, ipc });
    void hold(a);
    await expect(b.run(() => 'ran')).resolves.toBe('ran');
    expect(b.ipc.key).not.toBe(a.ipc.key);
  });

  it.each(['posix', 'sysv'] as const)('keeps two users apart in %s mode: same name, own segment, own tickets', async (ipc) => {
    const name = uniqueName('users');
    const mine = open(name, { tickets: 1, ipc });
    void hold(mine);
    const script = fileURLToPath(new URL('./fixtures/other-user.mjs', import.meta.url));
    const child = spawn(process.execPath, [script], {
      uid: 65534,
      gid: 65534,
      env: { ...process.env, RESOURCE_NAME: name, RESOURCE_IPC: ipc },
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const [code] = await once(child, 'close');
    expect(code, out).toBe(0);
    const theirs = JSON.parse(out) as { uid: number; held: boolean; key: number | string; id: number };
    expect(theirs).toMatchObject({ uid: 65534, held: true });
    expect(theirs.key).not.toBe(mine.ipc.key);
    rmSync(`/dev/shm/bulwark.65534.${name}`, { force: true });
    destroySysv(theirs.key);
  });
});

describe('holders and counts', () => {
  it('does not mistake a reused pid for the dead holder, and keeps a live holder', async () => {
    const res = open(uniqueName('pid'), { tickets: 2, ipc: 'posix', acquireTimeoutMs: 0 });
    const sleeper = spawn('sleep', ['30']);
    const start = Number(readFileSync(`/proc/${sleeper.pid}/stat`, 'latin1').split(') ')[1]!.split(' ')[19]);
    const raw = words(res);
    // A live process with its own start time holds both tickets: they stay taken.
    Object.assign(raw, { [slot(200).pid]: sleeper.pid, [slot(200).start]: start % 0x80000000, [slot(200).held]: 2, [USED]: 2 });
    await sleep(700);
    await expect(res.run(() => 'ran')).rejects.toMatchObject({ code: 'ERR_BULKHEAD_FULL' });
    // The same pid with another start time is a reused pid: the holder it names is dead.
    const reclaimed = new Promise((resolve) => res.once('tickets-reclaimed', resolve));
    raw[slot(200).start] = (start + 12345) % 0x80000000;
    expect(await reclaimed).toEqual({ resource: res.name, pid: sleeper.pid, tickets: 2 });
    await expect(res.run(() => 'ran')).resolves.toBe('ran');
    sleeper.kill();
  });

  it('never admits more than the tickets after a negative count is written, and heals a huge one', async () => {
    const res = open(uniqueName('corrupt'), { tickets: 2, ipc: 'sysv', acquireTimeoutMs: 0 });
    const raw = words(res);
    raw[USED] = -1000;
    const outcomes = await Promise.allSettled([0, 1, 2].map(() => Promise.race([hold(res), sleep(50).then(() => 'holding')])));
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as { code: string }).code)).sort()).toEqual([
      'ERR_BULKHEAD_FULL',
      'holding',
      'holding',
    ]);
    expect(raw[USED]).toBe(2);
    const other = open(uniqueName('corrupt'), { tickets: 2, ipc: 'posix', acquireTimeoutMs: 2_000 });
    words(other)[USED] = 1_000_000_000;
    await expect(other.run(() => 'ran')).resolves.toBe('ran');
  });
});

it('loads the shm-typed-array native addon', () => {
  const result = spawnSync(process.execPath, ['-e', "require('shm-typed-array').getTotalSize()"], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
  });
  expect(result.status, String(result.stderr)).toBe(0);
});
