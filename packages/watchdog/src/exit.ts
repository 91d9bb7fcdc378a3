import type { StackCapture } from './capture.js';
import type { ExitConfig } from './protocol.js';

/**
 * Ends the whole process from the watchdog thread, even while the main thread is stuck. An exit
 * code runs `process.exit(code)` on the main thread through the inspector, which interrupts a busy
 * loop; a signal is sent to the process. SIGKILL follows after `graceMs` in case neither landed
 * (the main thread sat in a syscall, or the app listens for that signal on the stuck thread).
 */
export function endProcess(capture: StackCapture, exit: ExitConfig): void {
  if (exit.signal !== undefined) process.kill(process.pid, exit.signal);
  else capture.evaluate(`process.exit(${exit.code ?? 70})`);
  setTimeout(() => process.kill(process.pid, 'SIGKILL'), exit.graceMs);
}
