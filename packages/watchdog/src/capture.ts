import { Session } from 'node:inspector';

interface CallFrame {
  readonly functionName: string;
  readonly url?: string;
  readonly location: { readonly scriptId: string; readonly lineNumber: number; readonly columnNumber?: number };
}

/**
 * Takes the main thread's JS stack from the watchdog thread through an inspector session connected
 * to the main thread (no port). The session lives only for one capture: the Debugger domain slows
 * the main thread several times, and a session still connected when the process exits makes Node
 * print "Waiting for the debugger to disconnect...". Only function names and locations are kept.
 */
export function captureStack(timeoutMs: number): Promise<string[] | undefined> {
  const session = connect();
  if (!session) return Promise.resolve(undefined);
  const urls = new Map<string, string>();
  session.on('Debugger.scriptParsed', ({ params }) => urls.set(params.scriptId, params.url));
  return new Promise((resolve) => {
    const finish = (stack: string[] | undefined) => {
      clearTimeout(timer);
      // Disconnecting ends the Debugger domain too, so a pause still queued never lands.
      session.disconnect();
      resolve(stack);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    session.on('Debugger.paused', ({ params }) => {
      const stack = (params.callFrames as CallFrame[]).map((frame) => describe(frame, urls));
      session.post('Debugger.resume', () => finish(stack));
    });
    session.post('Debugger.enable', () => {});
    session.post('Debugger.pause', () => {});
  });
}

/** Runs `expression` on the main thread as soon as it runs JS, even inside a busy loop. */
export function evaluateOnMainThread(expression: string): void {
  connect()?.post('Runtime.evaluate', { expression }, () => {});
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

function describe({ functionName, url, location }: CallFrame, urls: Map<string, string>): string {
  const file = url || urls.get(location.scriptId) || '<unknown>';
  return `${functionName || '<anonymous>'} (${file}:${location.lineNumber + 1}:${(location.columnNumber ?? 0) + 1})`;
}
