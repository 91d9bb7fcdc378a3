import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { freePort, RedisServer } from '@bulwark/test-rig';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type ResourceOptions, resource } from '../dist/index.js';
import { sleep, until } from './fleet.js';

const uid = process.getuid!();
let serial = 0;
const uniqueName = () => `fr-${process.pid}-${serial++}`;
let redis: RedisServer;
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => redis?.close());

const shmOf = (name: string, hostId: string) => `/dev/shm/bulwark.${uid}.${name}@${hostId}`;

describe('options', () => {
  it.each([
    [{ fleet: {} }, /fleet.redis must be a Redis URL, ioredis options or an ioredis client, got undefined/],
    [{ fleet: { redis: 'http://r' } }, /fleet.redis must be a redis:\/\/ or rediss:\/\/ URL, got 'http:\/\/r'/],
    [{ fleet: { redis: 'redis://r', quorum: 1.5 } }, /fleet.quorum must be a whole count of hosts .*got 1.5/],
    [{ fleet: { redis: 'redis://r', quorum: 0 } }, /fleet.quorum must be a whole count/],
    [{ fleet: { redis: 'redis://r', tickets: 0 } }, /fleet.tickets must be an integer from 1/],
    [{ fleet: { redis: 'redis://r', leaseMs: 10 } }, /fleet.leaseMs must be a number from 200/],
    [{ fleet: { redis: 'redis://r', hostId: 'a b' } }, /fleet.hostId must be a string matching/],
    [{ fleet: { redis: 'redis://r', tikets: 3 } }, /fleet.tikets must be one of the known options/],
    [{ shareCircuit: false, fleet: { redis: 'redis://r' } }, /shareCircuit must be true when fleet is given .*got false/],
  ])('rejects %o at construction, naming the option and the value', (options, message) => {
    expect(() => resource(uniqueName(), { tickets: 1, shareCircuit: true, ...options } as ResourceOptions)).toThrow(message);
  });

  it('tells a breaker without @bulwark/fleet loaded how to get the fleet tier', () => {
    const script = `import('@bulwark/breaker').then(({ resource }) => { try { resource('x', { tickets: 1, shareCircuit: true, fleet: { redis: 'redis://r' } }); } catch (e) { console.log(e.code, e.message); } })`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: new URL('..', import.meta.url),
      timeout: 20_000,
    });
    expect(String(child.stdout)).toMatch(
      /^ERR_BULWARK_INVALID_OPTION fleet must be used with @bulwark\/fleet loaded \(npm install @bulwark\/fleet, then import it once\)/,
    );
  });
});

describe('the host in the fleet', () => {
  it('syncs with Redis and leases its share of the fleet tickets', async () => {
    const name = uniqueName();
    const res = resource(name, { tickets: 8, shareCircuit: true, fleet: { redis: redis.url, tickets: 5, hostId: 'solo' } });
    try {
      expect(res.tickets).toBe(8); // before the first sync: the host's own limit
      await until(() => res.tickets === 5, 5_000, 'the lease');
      expect(await redis.cli('ZRANGE', `bulwark:{${name}}:seen`, '0', '-1')).toBe('solo\n');
    } finally {
      await res.close();
      rmSync(shmOf(name, 'solo'), { force: true });
    }
  });

  it('runs every call on its own guards when Redis cannot be reached, and says so once with fleet-degraded', async () => {
    const name = uniqueName();
    const res = resource(name, {
      tickets: 2,
      shareCircuit: true,
      fleet: { redis: `redis://127.0.0.1:${await freePort()}`, tickets: 1, hostId: 'cutoff' },
    });
    const degraded: object[] = [];
    res.on('fleet-degraded', (e) => degraded.push(e));
    try {
      await until(() => degraded.length > 0, 10_000, 'fleet-degraded');
      expect(degraded).toEqual([{ resource: name, hostId: 'cutoff' }]);
      await expect(Promise.all([res.run(() => sleep(20).then(() => 'a')), res.run(() => 'b')])).resolves.toEqual(['a', 'b']); // host tickets: 2
      await sleep(600);
      expect(degraded).toHaveLength(1);
    } finally {
      await res.close();
      rmSync(shmOf(name, 'cutoff'), { force: true });
    }
  });

  it('closes once, awaitably, and leaves no Redis connection, timer or listener behind', async () => {
    const resources = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
    const listeners = process.listenerCount('exit') + process.listenerCount('warning');
    const name = uniqueName();
    onTestFinished(() => rmSync(shmOf(name, 'closing'), { force: true }));
    const res = resource(name, { tickets: 2, shareCircuit: true, fleet: { redis: redis.url, tickets: 4, hostId: 'closing' } });
    await sleep(300); // connected and synced
    await res.run(() => 'ran');
    const closing = res.close();
    expect(res.close()).toBe(closing);
    await closing;
    await sleep(100); // the socket's close is reported on the next turns of the loop
    const after = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
    const sockets = (list: string[]) => list.filter((r) => r === 'TCPSocketWrap').length;
    expect(sockets(after)).toBe(sockets(resources)); // the Redis connection is gone
    expect(after.length).toBeLessThanOrEqual(resources.length); // and so is every timer (earlier tests' may have ended meanwhile)
    expect(process.listenerCount('exit') + process.listenerCount('warning')).toBe(listeners);
    await expect(res.run(() => 'x')).rejects.toMatchObject({ code: 'ERR_BULWARK_CLOSED' });
  });
});
