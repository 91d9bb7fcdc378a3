import { BroadcastChannel, threadId } from 'node:worker_threads';

/**
 * Reopens across the threads of one process. A pino transport writes its file from a worker
 * thread; signals reach only the main thread. The main thread's guard asks every thread on the
 * `BroadcastChannel` `bulwark:hup:reopen`; a worker thread that loaded bulwark (through
 * `--import bulwark/register`, which workers inherit from `process.execArgv`) reopens its own
 * writers and answers. Workers announce themselves (`here`) when they start and when asked
 * (`who`), so the main thread knows whose answer to wait for.
 */

const name = 'bulwark:hup:reopen';

type Message =
  | { readonly op: 'who' }
  | { readonly op: 'here'; readonly thread: number }
  | { readonly op: 'gone'; readonly thread: number }
  | { readonly op: 'reopen'; readonly id: string }
  | { readonly op: 'reopened'; readonly id: string; readonly thread: number; readonly reopened: number };

/** What the main thread learns from one round: answers by thread, and the threads that never answered. */
export interface ThreadRound {
  readonly reopened: number;
  readonly answered: ReadonlySet<number>;
  readonly silent: readonly number[];
}

let rounds = 0;

/** The main thread's side: knows the worker threads that serve reopens and asks them. */
export class ThreadReopener {
  readonly #channel = new BroadcastChannel(name);
  readonly #threads = new Set<number>();
  readonly #waiting = new Map<string, (message: Extract<Message, { op: 'reopened' }>) => void>();

  constructor() {
    this.#channel.unref();
    this.#channel.onmessage = (event) => this.#onMessage((event as { data: Message }).data);
    this.#channel.postMessage({ op: 'who' } satisfies Message);
  }

  /** Worker threads known to serve reopens. */
  get threads(): number {
    return this.#threads.size;
  }

  /** Asks every known worker thread to reopen its writers; waits up to `waitMs` for their answers. */
  async reopen(waitMs: number): Promise<ThreadRound> {
    if (this.#threads.size === 0) return { reopened: 0, answered: new Set(), silent: [] };
    const id = `${process.pid}.${threadId}.${++rounds}`;
    const expected = new Set(this.#threads);
    const answered = new Set<number>();
    let reopened = 0;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, waitMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#waiting.set(id, (answer) => {
        answered.add(answer.thread);
        reopened += answer.reopened;
        if ([...expected].every((t) => answered.has(t))) done();
      });
      this.#channel.postMessage({ op: 'reopen', id } satisfies Message);
    });
    this.#waiting.delete(id);
    // A thread that did not answer has ended (a worker's exit sends nothing): forget it.
    const silent = [...expected].filter((t) => !answered.has(t));
    for (const t of silent) this.#threads.delete(t);
    return { reopened, answered, silent };
  }

  close(): void {
    this.#channel.close();
    this.#waiting.clear();
  }

  #onMessage(message: Message): void {
    if (message.op === 'here') this.#threads.add(message.thread);
    else if (message.op === 'gone') this.#threads.delete(message.thread);
    else if (message.op === 'reopened') {
      this.#threads.add(message.thread);
      this.#waiting.get(message.id)?.(message);
    }
  }
}

/** A worker thread's side: answers the main thread's `reopen` with `reopenHere()`'s count. */
export function serveThreadReopens(reopenHere: () => Promise<number>): () => void {
  const channel = new BroadcastChannel(name);
  channel.unref();
  const here = () => channel.postMessage({ op: 'here', thread: threadId } satisfies Message);
  channel.onmessage = (event) => {
    const message = (event as { data: Message }).data;
    if (message.op === 'who') here();
    else if (message.op === 'reopen')
      void reopenHere().then((reopened) =>
        channel.postMessage({ op: 'reopened', id: message.id, thread: threadId, reopened } satisfies Message),
      );
  };
  here();
  return () => {
    channel.postMessage({ op: 'gone', thread: threadId } satisfies Message);
    channel.close();
  };
}
