import { Session } from 'node:inspector';

interface Location {
  readonly scriptId: string;
  readonly lineNumber: number;
  readonly columnNumber?: number;
}

interface CallFrame {
  readonly functionName: string;
  readonly url?: string;
  readonly location: Location;
  readonly functionLocation?: Location;
}

/** One frame: `fn (file:line:col)` and the script's URL. */
export interface Frame {
  readonly text: string;
  readonly url: string;
}

/** A stack as its thread paused, innermost first. */
export interface TakenStack {
  readonly frames: readonly Frame[];
  /** The innermost function had only just been entered (paused on its first statement). */
  readonly entered: boolean;
  /** When the thread paused (epoch ms). */
  readonly at: number;
}

/** The stack as reported, and its first frame of the app's own code (not `node:`): the function to look at. */
export function describeStack(frames: readonly Frame[]): { stack: string[]; culprit?: string } {
  return { stack: frames.map((f) => f.text), culprit: frames.find((f) => f.url !== '' && !f.url.startsWith('node:'))?.text };
}

/**
 * Asks a thread to pause, from the watchdog thread, through an inspector session (no port): the
 * main thread's own, or a worker's reached through it (see {@link workerLink}). The pause lands as
 * soon as the thread runs JS: at once inside a busy loop or `Atomics.wait`, only on its way back
 * to JS from native code or a syscall. `valid()` is asked while the thread stands paused: a stack
 * is kept only if the thread had not come back to its event loop in between, so it is never one
 * of code that ran later. The session lives only for one capture: the Debugger domain slows the
 * thread several times, and a session left connected at exit makes Node print "Waiting for the
 * debugger to disconnect...".
 *
 * With `hold` (the main thread only), the thread stays paused once its stack is taken, until
 * `cancel()` or `exit()`: the exit of an `'exit'` action then runs inside the pause. It cannot
 * wait for another interrupt: on Node 22 a loop resumed after a pause goes on retrying its
 * on-stack replacement and never serves an inspector message again.
 */
export class ThreadCapture {
  readonly taken: Promise<TakenStack | undefined>;
  #finish: (stack: TakenStack | undefined) => void = () => {};
  /** The link while the main thread stands paused for `hold`. */
  #held: Link | undefined;
  /** False once the thread proved out of the inspector's reach: no stack will come. */
  reachable = true;

  /** `threadId` is Node's: 0 for the main thread. */
  constructor(threadId: number, valid: () => boolean, hold = false) {
    const unreachable = () => {
      this.reachable = false;
      this.#finish(undefined);
    };
    const link = threadId === 0 ? mainLink() : workerLink(threadId, unreachable);
    this.taken = new Promise((resolve) => {
      if (!link) return resolve(undefined);
      const urls = new Map<string, string>();
      link.on('Debugger.scriptParsed', (params) => urls.set(params.scriptId as string, params.url as string));
      this.#finish = (stack) => {
        this.#finish = () => {};
        // Disconnecting ends the Debugger domain too, so a pause still queued never lands. Node 22+
        // does not resume a thread paused by a session that disconnects: resume it first.
        link.post('Debugger.resume', {}, () => {});
        link.close();
        resolve(stack);
      };
      link.on('Debugger.paused', (params) => {
        const at = Date.now();
        const callFrames = params.callFrames as CallFrame[];
        const frames = callFrames.map((frame) => ({
          text: describe(frame, urls),
          url: frame.url || urls.get(frame.location.scriptId) || '',
        }));
        const keep = valid();
        const top = callFrames[0];
        // Is there a statement of the innermost function before the pause? If not, it was just entered.
        const start = top?.functionLocation;
        const query = start ? { start, end: top.location, restrictToFunction: true } : {};
        link.post('Debugger.getPossibleBreakpoints', query, (error, result) => {
          const locations = (result?.locations ?? []) as Location[];
          const entered = !error && start !== undefined && locations.every((l) => before(top!.location, l) === false);
          const stack = keep ? { frames, at, entered } : undefined;
          // Settled before the resume is even sent: once resumed, the thread beats, and the watcher
          // may see it back (and cancel) before the resume's answer reaches this thread.
          if (!hold) return this.#finish(stack);
          this.#held = link;
          resolve(stack);
        });
      });
      link.post('Debugger.enable', {}, () => {});
      link.post('Debugger.pause', {}, () => {});
    });
  }

  /** Drops a pause that has not landed, or lets the held one go (not once the exit runs in it). */
  cancel(): void {
    this.#held = undefined;
    this.#finish(undefined);
  }

  /**
   * Ends the process with `code` through `process.exit` on the main thread: inside the held pause
   * when there is one (which then stays held), else as soon as the thread runs JS.
   */
  exit(code: number): void {
    const held = this.#held;
    if (!held) return exitMainThread(code);
    this.#finish = () => {};
    held.post('Runtime.evaluate', { expression: exitExpression(code) }, () => {});
  }
}

const exitExpression = (code: number) => `process.exit(${code})`;

/** Runs `process.exit(code)` on the main thread as soon as it runs JS, even inside a busy loop. */
export function exitMainThread(code: number): void {
  mainLink()?.post('Runtime.evaluate', { expression: exitExpression(code) }, () => {});
}

type Params = Record<string, unknown>;

/** One thread's inspector as a capture uses it: commands with their answer, events, letting go. */
interface Link {
  post(method: string, params: object, reply: (error: unknown, result?: Params) => void): void;
  on(event: string, listener: (params: Params) => void): void;
  close(): void;
}

function mainLink(): Link | undefined {
  const session = connect();
  return (
    session && {
      post: (method, params, reply) => session.post(method, params, (error, result) => reply(error, result as Params)),
      on: (event, listener) => session.on(event, (message: { params: Params }) => listener(message.params)),
      close: () => session.disconnect(),
    }
  );
}

/**
 * A worker thread's inspector, reached through the main thread's: its `NodeWorker` domain attaches
 * a session to every worker of the process and carries protocol messages to and from them. Like
 * the main thread, a worker serves them as soon as it runs JS, even inside a busy loop. Node titles
 * a worker `[worker <threadId>] <name>`; commands wait until that one is attached. Every worker is
 * attached before `NodeWorker.enable` answers: one still missing then is gone (`unreachable`).
 */
function workerLink(threadId: number, unreachable: () => void): Link | undefined {
  const session = connect();
  if (!session) return undefined;
  const tag = `[worker ${threadId}]`;
  let sessionId: string | undefined;
  let lastId = 0;
  const waiting: string[] = [];
  const replies = new Map<number, (error: unknown, result?: Params) => void>();
  const listeners = new Map<string, (params: Params) => void>();
  const send = (message: string) => session.post('NodeWorker.sendMessageToWorker', { sessionId: sessionId!, message }, () => {});
  session.on('NodeWorker.attachedToWorker', ({ params }) => {
    const { title } = params.workerInfo;
    if (sessionId !== undefined || (title !== tag && !title.startsWith(`${tag} `))) return;
    sessionId = params.sessionId;
    for (const message of waiting.splice(0)) send(message);
  });
  session.on('NodeWorker.receivedMessageFromWorker', ({ params }) => {
    if (params.sessionId !== sessionId) return;
    const message = JSON.parse(params.message) as { id?: number; method?: string; params?: Params; error?: unknown; result?: Params };
    if (message.id === undefined) return listeners.get(message.method!)?.(message.params ?? {});
    const reply = replies.get(message.id);
    replies.delete(message.id);
    reply?.(message.error, message.result);
  });
  session.post('NodeWorker.enable', { waitForDebuggerOnStart: false }, () => {
    if (sessionId === undefined) unreachable();
  });
  return {
    post(method, params, reply) {
      replies.set(++lastId, reply);
      const message = JSON.stringify({ id: lastId, method, params });
      if (sessionId === undefined) waiting.push(message);
      else send(message);
    },
    on: (event, listener) => listeners.set(event, listener),
    close: () => session.disconnect(),
  };
}

function connect(): Session | undefined {
  try {
    const session = new Session();
    session.connectToMainThread();
    return session;
  } catch {
    // Node built without the inspector: no stack, the kernel's view still goes in the report.
    return undefined;
  }
}

/** True when `a` comes strictly before `b`. */
function before(b: Location, a: { lineNumber: number; columnNumber?: number }): boolean {
  return a.lineNumber < b.lineNumber || (a.lineNumber === b.lineNumber && (a.columnNumber ?? 0) < (b.columnNumber ?? 0));
}

function describe({ functionName, url, location }: CallFrame, urls: Map<string, string>): string {
  const file = url || urls.get(location.scriptId) || '<unknown>';
  return `${functionName || '<anonymous>'} (${file}:${location.lineNumber + 1}:${(location.columnNumber ?? 0) + 1})`;
}
