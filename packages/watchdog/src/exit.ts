import { exitMainThread } from './capture.js';
import type { ExitConfig } from './protocol.js';

/**
 * Ends the whole process from the watchdog thread, even while the main thread is stuck. An exit
 * code is `process.exit(code)` on the main thread: asked by message when its loop still runs
 * (deaf), else run through the inspector, which interrupts a busy loop (Node then prints "Waiting
 * for the debugger to disconnect..." and exits). A signal is sent to the process. SIGKILL follows
 * after `graceMs` in case none of it landed (the main thread sat in a syscall, or the app listens
 * for that signal on the stuck thread).
 */
export function endProcess(
  exit: ExitConfig,
  loopRuns: boolean,
  askMain: (code: number) => void,
  exitStuck: (code: number) => void = exitMainThread,
): void {
  if ('signal' in exit) process.kill(process.pid, exit.signal);
  else if (loopRuns) askMain(exit.code);
  else exitStuck(exit.code);
  setTimeout(() => process.kill(process.pid, 'SIGKILL'), exit.graceMs);
}
