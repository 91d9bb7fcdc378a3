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

/** A stack as the main thread paused, innermost first. */
export interface TakenStack {
  readonly frames: readonly Frame[];
  /** The innermost function had only just been entered (paused on its first statement). */
  readonly entered: boolean;
  /** When the main thread paused (epoch ms). */
  readonly at: number;
}

/** The stack as reported, and its first frame of the app's own code (not `node:`): the function to look at. */
export function describeStack(frames: readonly Frame[]): { stack: string[]; culprit?: string } {
  return { stack: frames.map((f) => f.text), culprit: frames.find((f) => f.url !== '' && !f.url.startsWith('node:'))?.text };
}

/**
 * Asks the main thread to pause, from the watchdog thread, through an inspector session connected
 * to it (no port). The pause lands as soon as the main thread runs JS: at once inside a busy loop
 * or `Atomics.wait`, only on its way back to JS from native code or a syscall. `valid()` is asked
 * while the main thread stands paused: a stack is kept only if the thread had not come back to its
 * event loop in between, so it is never one of code that ran later. The session lives only for
 * one capture: the Debugger domain slows the main thread several times, and a session left
 * connected at exit makes Node print "Waiting for the debugger to disconnect...".
 *
 * With `hold`, the thread stays paused once its stack is taken, until `cancel()` or `exit()`:
 * the exit of an `'exit'` action then runs inside the pause. It cannot wait for another interrupt:
 * on Node 22 a loop resumed after a pause goes on retrying its on-stack replacement and never
 * serves an inspector message again.
 */
export class MainThreadCapture {
  readonly taken: Promise<TakenStack | undefined>;
  #finish: (stack: TakenStack | undefined) => void = () => {};
  /** The session while the main thread stands paused for `hold`. */
  #held: Session | undefined;

  constructor(valid: () => boolean, hold = false) {
    const session = connect();
    this.taken = new Promise((resolve) => {
      if (!session) return resolve(undefined);
      const urls = new Map<string, string>();
      session.on('Debugger.scriptParsed', ({ params }) => urls.set(params.scriptId, params.url));
      this.#finish = (stack) => {
        this.#finish = () => {};
        // Disconnecting ends the Debugger domain too, so a pause still queued never lands. Node 22+
        // does not resume a thread paused by a session that disconnects: resume it first.
        session.post('Debugger.resume', () => {});
        session.disconnect();
        resolve(stack);
      };
      session.on('Debugger.paused', ({ params }) => {
        const at = Date.now();
        const frames = (params.callFrames as CallFrame[]).map((frame) => ({
          text: describe(frame, urls),
          url: frame.url || urls.get(frame.location.scriptId) || '',
        }));
        const keep = valid();
        const top = (params.callFrames as CallFrame[])[0];
        // Is there a statement of the innermost function before the pause? If not, it was just entered.
        const start = top?.functionLocation;
        const query = start ? { start, end: top.location, restrictToFunction: true } : undefined;
        session.post('Debugger.getPossibleBreakpoints', query as never, (error, result) => {
          const entered = !error && start !== undefined && (result?.locations ?? []).every((l) => before(top!.location, l) === false);
          const stack = keep ? { frames, at, entered } : undefined;
          // Settled before the resume is even sent: once resumed, the thread beats, and the watcher
          // may see it back (and cancel) before the resume's answer reaches this thread.
          if (!hold) return this.#finish(stack);
          this.#held = session;
          resolve(stack);
        });
      });
      session.post('Debugger.enable', () => {});
      session.post('Debugger.pause', () => {});
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
  connect()?.post('Runtime.evaluate', { expression: exitExpression(code) }, () => {});
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
