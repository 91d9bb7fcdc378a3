// A host of real worker processes sharing one resource, and a counter that measures them.
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type NodeChild, WorkerGroup, spawnWorkers, stopAll } from '@bulwark/test-rig';
import { type Resource, type ResourceOptions, resource } from '../dist/index.js';
import { C, createCounter, destroySysv } from './fixtures/counter.mjs';

export { C, destroySysv };
export const workerScript = fileURLToPath(new URL('./fixtures/worker.mjs', import.meta.url));
export const uid = process.getuid!();

const opened: Resource[] = [];

/** Opens a resource for one test; `closeOpened()` (in afterEach) closes it and removes its shared memory. */
export function openForTest(name: string, options: ResourceOptions): Resource {
  return track(resource(name, options));
}

/** Has `closeOpened()` close and remove a resource opened some other way (e.g. through the CJS copy). */
export function track(res: Resource): Resource {
  opened.push(res);
  return res;
}

/** Closes what `openForTest` opened and removes its POSIX and SysV segments. */
export function closeOpened(): void {
  for (const res of opened.splice(0)) {
    res.close();
    rmSync(`/dev/shm/bulwark.${uid}.${res.name}`, { force: true });
    destroySysv(res.ipc.key);
  }
}

let serial = 0;
/** A resource name no other test or run uses. */
export const uniqueName = (what: string): string => `t-${what}-${process.pid}-${Date.now() % 1e7}-${serial++}`;

export interface WorkerConfig {
  readonly options: ResourceOptions;
  readonly loops?: number;
  readonly holdMs?: number;
  readonly pauseMs?: number;
  readonly failing?: boolean;
}

export interface Info {
  readonly pid: number;
  readonly tickets: number;
  readonly held: number;
  readonly id: number;
  readonly key: number | string;
  readonly state: string;
}

export class Host extends WorkerGroup {
  readonly name: string;
  readonly counterName: string;
  readonly counter: Int32Array;
  readonly workers: NodeChild[] = [];

  constructor(
    what: string,
    readonly config: WorkerConfig,
  ) {
    super();
    this.name = uniqueName(what);
    this.counterName = `/bulwark-test-counter.${this.name}`;
    this.counter = createCounter(this.counterName);
  }

  /** Starts `count` more workers and waits until each has opened the resource. */
  async spawn(count: number, env: NodeJS.ProcessEnv = {}): Promise<NodeChild[]> {
    const config = JSON.stringify({ ...this.config, name: this.name, counter: this.counterName });
    const started = spawnWorkers(count, workerScript, { env: { ...env, BREAKER_WORKER: config } });
    this.workers.push(...started);
    await Promise.all(started.map((w) => w.message((m: { ready?: Info }) => m.ready !== undefined)));
    return started;
  }

  info(worker: NodeChild): Promise<Info> {
    return this.ask<Info>(worker, { cmd: 'info' }, 'info');
  }

  max(): number {
    return Atomics.load(this.counter, C.max);
  }

  async close(): Promise<void> {
    await stopAll(this.workers);
    const keys = new Set(
      this.workers.flatMap((w) => w.messages.map((m) => (m as { ready?: Info }).ready?.key ?? (m as { info?: Info }).info?.key)),
    );
    for (const key of keys) if (key !== undefined) destroySysv(key);
    rmSync(`/dev/shm${this.counterName}`, { force: true });
    rmSync(`/dev/shm/bulwark.${uid}.${this.name}`, { force: true });
  }
}

export { setTimeout as sleep } from 'node:timers/promises';
