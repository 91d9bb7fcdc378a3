// Simulated hosts of real worker processes on one machine (each host its own hostId), and a counter the test owns.
import { createRequire } from 'node:module';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type NodeChild, WorkerGroup, spawnWorkers, stopAll } from '@bulwark/test-rig';
import type { ResourceOptions } from '../dist/index.js';

const shm = createRequire(import.meta.url)('shm-typed-array') as {
  create(count: number, type: 'Int32Array', key: string, perm: string): Int32Array | null;
};
const workerScript = fileURLToPath(new URL('./fixtures/worker.mjs', import.meta.url));
const uid = process.getuid!();

/** Words of the counter (see fixtures/worker.mjs). */
export const C = { now: 0, max: 1, runs: 2, calls: 3, down: 4, hostDown: 8 } as const;

export interface FleetConfig {
  readonly options: ResourceOptions;
  readonly loops?: number;
  readonly holdMs?: number;
  readonly pauseMs?: number;
}

let serial = 0;

/** `hosts` simulated hosts of `workers` processes each, all on one resource and one counter. */
export class Fleet extends WorkerGroup {
  readonly name = `f-${process.pid}-${Date.now() % 1e7}-${serial++}`;
  readonly counterName = `/bulwark-fleet-counter.${this.name}`;
  readonly counter: Int32Array;
  readonly hosts: NodeChild[][] = [];

  constructor(readonly config: FleetConfig) {
    super();
    const counter = shm.create(16, 'Int32Array', this.counterName, '600');
    if (!counter) throw new Error(`counter ${this.counterName} exists`);
    this.counter = counter;
  }

  get workers(): NodeChild[] {
    return this.hosts.flat();
  }

  /** Starts a host of `count` workers and waits until each has opened the resource. */
  async addHost(count: number, options: Partial<FleetConfig> = {}): Promise<NodeChild[]> {
    const host = this.hosts.length;
    const fleet = { ...this.config.options.fleet!, hostId: `host${host}` };
    const config = {
      ...this.config,
      ...options,
      options: { ...this.config.options, fleet },
      host,
      name: this.name,
      counter: this.counterName,
    };
    const started = spawnWorkers(count, workerScript, { env: { FLEET_WORKER: JSON.stringify(config) } });
    this.hosts.push(started);
    await Promise.all(started.map((w) => w.message((m: { ready?: unknown }) => m.ready !== undefined)));
    return started;
  }

  /** Waits until the hosts' ticket limits add up to at most `total`: every host holds its lease. */
  async leased(total: number, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const limits = await Promise.all(this.hosts.map((host) => this.ask<{ tickets: number }>(host[0]!, { cmd: 'info' }, 'info')));
      if (limits.reduce((sum, i) => sum + i.tickets, 0) <= total) return;
      if (Date.now() > deadline)
        throw new Error(`no leases within ${timeoutMs} ms: host limits ${limits.map((i) => i.tickets).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  word(index: number): number {
    return Atomics.load(this.counter, index);
  }
  set(index: number, value: number): void {
    Atomics.store(this.counter, index, value);
  }
  async close(): Promise<void> {
    await stopAll(this.workers);
    rmSync(`/dev/shm${this.counterName}`, { force: true });
    for (let host = 0; host < this.hosts.length; host++) rmSync(`/dev/shm/bulwark.${uid}.${this.name}@host${host}`, { force: true });
  }
}

export async function until(check: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<number> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - started;
}

export { setTimeout as sleep } from 'node:timers/promises';
