import { readlinkSync } from 'node:fs';
// `threadName` (Node 22+) is read off the namespace: a named import of it fails on Node 20.
import * as threads from 'node:worker_threads';
import { BroadcastChannel, isMainThread, threadId } from 'node:worker_threads';
import { GuardHandle, checkOptions, checkString, unrefInterval } from '@bulwark/core';
import { MainThreadWatchError } from './errors.js';
import { followGc, followRequests } from './activity.js';
import { type ThreadInfo, registryChannel } from './protocol.js';
import { SharedWriter, sharedBytes } from './shared.js';

/** The kernel's id of the calling thread (`/proc/thread-self` is `<pid>/task/<tid>`). */
export function currentTid(): number {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return process.pid;
  }
}

/**
 * One watched thread's side: a heartbeat in shared memory every `beatMs`, its in-flight HTTP
 * requests, its GC pauses and the state the app sets, all readable by the watchdog thread while
 * this one is stuck (the GC pauses once it is back).
 */
export class ThreadBeacon {
  readonly shared: SharedWriter;
  readonly #timer: NodeJS.Timeout;
  readonly #unfollow: Array<() => void>;

  constructor(beatMs: number, wake: Int32Array) {
    this.shared = new SharedWriter(new SharedArrayBuffer(sharedBytes), wake);
    this.shared.beat();
    this.#timer = unrefInterval(() => this.shared.beat(), beatMs);
    this.#unfollow = [followRequests(this.shared), followGc(this.shared)];
  }

  stop(): void {
    clearInterval(this.#timer);
    for (const unfollow of this.#unfollow) unfollow();
  }
}

export interface WatchThreadOptions {
  /** Name in reports. @default the Worker's `name` option (Node 22+), else `worker <threadId>` */
  readonly name?: string;
}

type Announce =
  | { readonly type: 'hello'; readonly beatMs: number; readonly wake: SharedArrayBuffer }
  | { readonly type: 'thread'; readonly thread: ThreadInfo }
  | { readonly type: 'bye'; readonly threadId: number };

/**
 * Watches the calling worker thread: the process's watchdog (started on the main thread, before or
 * after this call) reports it blocked, with its name and stack, like the main thread.
 */
export class WatchedThread extends GuardHandle<Record<never, object>> {
  readonly #channel = new BroadcastChannel(registryChannel);
  #beacon: ThreadBeacon | undefined;
  #state: unknown;

  constructor(readonly name: string) {
    super('watchdog');
    this.#channel.unref();
    const onMessage = (event: Event) => this.#onMessage((event as MessageEvent).data as Announce);
    this.#channel.addEventListener('message', onMessage);
    this.cleanup.defer(() => {
      this.#channel.removeEventListener('message', onMessage);
      this.#beacon?.stop();
      this.#channel.postMessage({ type: 'bye', threadId } satisfies Announce);
      this.#channel.close();
    });
    // A watchdog already running answers this with its `hello`.
    this.#channel.postMessage({ type: 'hello-thread' });
  }

  /** State to put in this thread's stall report (JSON, up to 2 KB). */
  setState(state: unknown): void {
    this.#state = state;
    this.#beacon?.shared.setState(state);
  }

  #onMessage(message: Announce): void {
    if (message.type !== 'hello' || this.closed) return;
    this.#beacon?.stop();
    this.#beacon = new ThreadBeacon(message.beatMs, new Int32Array(message.wake));
    this.#beacon.shared.setState(this.#state);
    const thread: ThreadInfo = { name: this.name, threadId, tid: currentTid(), shared: this.#beacon.shared.buffer };
    this.#channel.postMessage({ type: 'thread', thread } satisfies Announce);
  }
}

/** Watches the calling worker thread (see {@link WatchedThread}). */
export function watchThread(options: WatchThreadOptions = {}): WatchedThread {
  if (isMainThread) throw new MainThreadWatchError();
  const o = checkOptions('watchThread options', options, ['name']);
  return new WatchedThread(checkString('name', o.name ?? (workerName() || `worker ${threadId}`)));
}

/** The `name` the Worker was created with: Node 22+ tells it (24+ says `WorkerThread` for none). */
function workerName(): string | undefined {
  const name = (threads as { threadName?: string }).threadName;
  return name === 'WorkerThread' ? undefined : name;
}
