import { RedisCluster, RedisServer } from '@bulwark/test-rig';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { C, Fleet, sleep, until } from './fleet.js';

type StateEvent = { state: string; at: number };

/** The Redis a describe block runs on: its address for the workers, and a way to kill the node holding the fleet's keys. */
interface Target {
  redis: unknown;
  keysNode(name: string): Promise<RedisServer>;
  close(): Promise<void>;
}

async function standalone(): Promise<Target> {
  const server = await RedisServer.start();
  return { redis: server.url, keysNode: async () => server, close: () => server.close() };
}

async function cluster(): Promise<Target> {
  const c = await RedisCluster.start(3);
  return { redis: { cluster: c.startupNodes }, keysNode: (name) => c.nodeFor(`bulwark:{${name}}:state`), close: () => c.close() };
}

const RESET_MS = 600;
const circuit = { errorThresholdPercentage: 50, volumeThreshold: 3, resetTimeout: RESET_MS, timeout: false as const };

describe.each([
  ['a Redis server', standalone],
  ['a three-master Redis Cluster', cluster],
] as const)('fleet on %s', (_, startRedis) => {
  let target: Target;
  let fleet: Fleet | undefined;
  beforeAll(async () => {
    target = await startRedis();
  }, 60_000);
  afterAll(async () => target?.close());
  afterEach(async () => {
    await fleet?.close();
    fleet = undefined;
  });

  it('never lets more calls than fleet.tickets run at once while three hosts of two workers hammer it', async () => {
    // A long lease: on this 2-core machine a host's sync can stall past a short one, and a host whose
    // lease lapsed runs on its own tickets by design (fleet-degraded), which is not what this measures.
    fleet = new Fleet({
      options: { tickets: 5, acquireTimeoutMs: 20, shareCircuit: true, fleet: { redis: target.redis, tickets: 6, leaseMs: 5_000 } },
      loops: 3,
    });
    for (let h = 0; h < 3; h++) await fleet.addHost(2);
    await fleet.leased(6); // before its first sync a host runs on its own 5 tickets; then on its lease
    fleet.resetMax();
    await fleet.start();
    await sleep(3_000);
    await fleet.stop();
    const degraded = fleet.workers.flatMap((w) => fleet!.events(w, 'fleet-degraded'));
    expect(fleet.word(C.max), `fleet-degraded: ${JSON.stringify(degraded)}`).toBeLessThanOrEqual(6); // without the fleet: 3 hosts x 5 tickets
    expect(fleet.word(C.max)).toBeGreaterThanOrEqual(3);
    expect(fleet.word(C.runs)).toBeGreaterThan(50);
    expect(fleet.errors()).toEqual([]);
  });

  it('opens every host once a quorum of hosts opened, then lets one call in the whole fleet through per reset timeout', async () => {
    fleet = new Fleet({
      options: { tickets: 5, shareCircuit: true, circuit, fleet: { redis: target.redis, quorum: 2, leaseMs: 1_000 } },
      loops: 1,
      pauseMs: 5,
    });
    for (let h = 0; h < 3; h++) await fleet.addHost(2);
    const opened = () => fleet!.workers.every((w) => fleet!.events<StateEvent>(w, 'state').some((e) => e.state === 'open'));
    fleet.set(C.down, 1);
    await fleet.start();
    await until(opened, 10_000, 'every worker open');
    Atomics.store(fleet.counter, C.calls, 0);
    const started = Date.now();
    await sleep(5 * RESET_MS);
    const calls = fleet.word(C.calls);
    const windowMs = Date.now() - started;
    // About one trial per reset timeout for the fleet; each host sending its own would be three.
    expect(calls).toBeLessThanOrEqual(Math.ceil(windowMs / RESET_MS) + 1);
    fleet.set(C.down, 0);
    const closed = () => fleet!.workers.every((w) => fleet!.events<StateEvent>(w, 'state').at(-1)?.state === 'closed');
    await until(closed, 4 * RESET_MS + 5_000, 'every worker closed after the trial');
    const halfOpen = fleet.hosts.filter((host) =>
      host.some((w) => fleet!.events<StateEvent>(w, 'state').some((e) => e.state === 'half-open')),
    );
    expect(halfOpen.length).toBeGreaterThanOrEqual(1);
    expect(fleet.errors()).toEqual([]);
  });

  it("opens only the failing host when one host's own calls fail, below the quorum", async () => {
    fleet = new Fleet({
      options: { tickets: 5, shareCircuit: true, circuit, fleet: { redis: target.redis, quorum: 2, leaseMs: 1_000 } },
      loops: 1,
      pauseMs: 5,
    });
    for (let h = 0; h < 3; h++) await fleet.addHost(2);
    fleet.set(C.hostDown + 0, 1); // a local network fault on host0 only
    await fleet.start();
    await until(
      () => fleet!.hosts[0]!.every((w) => fleet!.events<StateEvent>(w, 'state').some((e) => e.state === 'open')),
      10_000,
      'host0 open',
    );
    await sleep(1_500);
    for (const w of [...fleet.hosts[1]!, ...fleet.hosts[2]!]) expect(fleet.events<StateEvent>(w, 'state')).toEqual([]);
    const runs = fleet.word(C.runs);
    await sleep(300);
    expect(fleet.word(C.runs)).toBeGreaterThan(runs); // the healthy hosts keep calling
    expect(fleet.errors()).toEqual([]);
  });

  it("gives a host killed with SIGKILL's tickets to the others within one lease", async () => {
    const leaseMs = 1_500;
    fleet = new Fleet({
      options: { tickets: 6, acquireTimeoutMs: 20, shareCircuit: true, fleet: { redis: target.redis, tickets: 6, leaseMs } },
      loops: 4,
      holdMs: 20,
    });
    const [victim] = [await fleet.addHost(2), await fleet.addHost(2)];
    await fleet.start();
    await sleep(1_000);
    for (const w of victim!) w.kill('SIGKILL');
    await until(() => victim!.every((w) => !w.running), 5_000, 'victim dead');
    fleet.resetMax();
    const tookMs = await until(() => fleet!.word(C.max) >= 6, 4 * leaseMs, "the dead host's tickets back");
    // The survivor gets the whole fleet's tickets once the dead host's lease expires (figure: bench/fleet.mjs).
    expect(tookMs).toBeLessThan(2 * leaseMs);
    expect(fleet.word(C.max)).toBeLessThanOrEqual(6);
    expect(fleet.errors()).toEqual([]);
  });

  it('keeps every call going while Redis is killed and restarted mid-load, reports it, and holds the limit again after', async () => {
    fleet = new Fleet({
      options: {
        tickets: 4,
        acquireTimeoutMs: 20,
        shareCircuit: true,
        circuit,
        fleet: { redis: target.redis, tickets: 4, leaseMs: 1_000 },
      },
      loops: 3,
    });
    for (let h = 0; h < 2; h++) await fleet.addHost(2);
    await fleet.leased(4);
    await fleet.start();
    await sleep(500);
    const node = await target.keysNode(fleet.name);
    await node.kill();
    await until(() => fleet!.workers.every((w) => fleet!.events(w, 'fleet-degraded').length > 0), 10_000, 'fleet-degraded everywhere');
    const runs = fleet.word(C.runs);
    await sleep(1_500);
    expect(fleet.word(C.runs)).toBeGreaterThan(runs + 20); // calls go on with Redis gone
    await node.start();
    await until(() => fleet!.workers.every((w) => fleet!.events(w, 'fleet-restored').length > 0), 20_000, 'fleet-restored everywhere');
    await sleep(1_000); // one lease period: the limits converge again
    fleet.resetMax();
    await sleep(2_000);
    await fleet.stop();
    expect(fleet.word(C.max)).toBeLessThanOrEqual(4);
    expect(fleet.errors()).toEqual([]);
  });

  it('keeps every call going while Redis hangs (SIGSTOP), and follows the fleet again once it answers', async () => {
    fleet = new Fleet({
      options: {
        tickets: 4,
        acquireTimeoutMs: 20,
        shareCircuit: true,
        circuit,
        fleet: { redis: target.redis, tickets: 4, leaseMs: 1_000 },
      },
      loops: 3,
    });
    for (let h = 0; h < 2; h++) await fleet.addHost(2);
    await fleet.leased(4);
    await fleet.start();
    const node = await target.keysNode(fleet.name);
    node.pause();
    try {
      await until(() => fleet!.workers.every((w) => fleet!.events(w, 'fleet-degraded').length > 0), 10_000, 'fleet-degraded everywhere');
      const runs = fleet.word(C.runs);
      await sleep(1_000);
      expect(fleet.word(C.runs)).toBeGreaterThan(runs + 20);
    } finally {
      node.resume();
    }
    await until(() => fleet!.workers.every((w) => fleet!.events(w, 'fleet-restored').length > 0), 20_000, 'fleet-restored everywhere');
    await sleep(1_000);
    fleet.resetMax();
    await sleep(1_500);
    await fleet.stop();
    expect(fleet.word(C.max)).toBeLessThanOrEqual(4);
    expect(fleet.errors()).toEqual([]);
  });
});
