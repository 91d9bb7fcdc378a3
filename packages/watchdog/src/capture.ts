import { Session } from 'node:inspector';

interface CallFrame {
  readonly functionName: string;
  readonly url?: string;
  readonly location: { readonly scriptId: string; readonly lineNumber: number; readonly columnNumber?: number };
}

/**
 * Takes the main thread's JS stack from the watchdog thread: an inspector session connected to the
 * main thread (no port), the Debugger domain enabled only for the capture since it slows the main
 * thread several times. Only function names and locations are kept, never values.
 */
export class StackCapture {
  readonly #session = new Session();
  readonly #urls = new Map<string, string>();
  #waiting: ((stack: string[]) => void) | undefined;

  constructor() {
    this.#session.connectToMainThread();
    this.#session.on('Debugger.scriptParsed', ({ params }) => this.#urls.set(params.scriptId, params.url));
    // A pause always ends in resume and disable, even one that lands after the capture gave up.
    this.#session.on('Debugger.paused', ({ params }) => {
      const stack = (params.callFrames as CallFrame[]).map((frame) => this.#describe(frame));
      this.#post('Debugger.resume');
      this.#post('Debugger.disable');
      this.#urls.clear();
      this.#waiting?.(stack);
      this.#waiting = undefined;
    });
  }

  /** Resolves with the stack, innermost first, or undefined when the main thread did not pause in time. */
  capture(timeoutMs: number): Promise<string[] | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting = undefined;
        resolve(undefined);
      }, timeoutMs);
      this.#waiting = (stack) => {
        clearTimeout(timer);
        resolve(stack);
      };
      this.#post('Debugger.enable');
      this.#post('Debugger.pause');
    });
  }

  /** Runs `expression` on the main thread as soon as it runs JS, even inside a busy loop. */
  evaluate(expression: string): void {
    this.#post('Runtime.evaluate', { expression });
  }

  disconnect(): void {
    this.#session.disconnect();
  }

  #post(method: string, params: object = {}): void {
    try {
      this.#session.post(method, params, () => {});
    } catch {
      // disconnected: nothing left to ask
    }
  }

  #describe({ functionName, url, location }: CallFrame): string {
    const file = url || this.#urls.get(location.scriptId) || '<unknown>';
    return `${functionName || '<anonymous>'} (${file}:${location.lineNumber + 1}:${(location.columnNumber ?? 0) + 1})`;
  }
}
