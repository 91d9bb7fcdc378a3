import type { StallEvent } from './protocol.js';
import type { GcTime } from './shared.js';

/**
 * The report file's content: what stalled, for how long, where the thread was, what it was
 * serving. Only names, numbers and code locations: no arguments, environment, variable values,
 * query strings, headers or bodies; `state` is what the app chose to set.
 */
export function reportBody(
  event: StallEvent,
  context: {
    readonly stallMs: number;
    readonly probe?: string;
    readonly stackPending?: boolean;
    /** Once the thread is back: how long the stall lasted, and the GC pauses inside it. */
    readonly over?: { readonly lastedMs: number; readonly gc?: GcTime };
  },
): object {
  return {
    report: '@bulwark/watchdog',
    kind: event.kind,
    thread: event.thread,
    pid: process.pid,
    node: process.version,
    detectedAt: new Date(event.detectedAt).toISOString(),
    writtenAt: new Date().toISOString(),
    durationMs: event.durationMs,
    lastedMs: context.over?.lastedMs,
    stallMs: context.stallMs,
    capture: event.capture,
    summary: summarize(event, context.stackPending === true) + gcNote(context.over),
    culprit: event.culprit,
    stack: event.stack,
    stackTakenAfterMs: event.stackTakenAfterMs,
    stackPending: context.stackPending || undefined,
    kernel: event.kernel,
    gc: context.over?.gc,
    requests: event.requests,
    moreRequests: event.moreRequests || undefined,
    state: event.state,
    probe: context.probe === undefined ? undefined : { target: context.probe, failures: event.probeFailures, lastError: event.probeError },
    kick: event.kick,
    action: event.action,
  };
}

// What a thread waiting in these syscalls is usually doing, for the summary.
const syscallHints: Record<string, string> = {
  futex: 'waiting on another thread: a GC pause waiting for its helper threads, Atomics.wait, or a lock in native code',
  openat: 'opening a file: a FIFO with no writer, or a slow or hung file system',
  read: 'reading a file, pipe or socket synchronously',
  wait4: 'waiting for a child process (execSync, spawnSync)',
  poll: 'waiting for a child process or a socket synchronously',
};

const nativeWhat = 'native code, not JS and not a syscall (a sync crypto or zlib call, a huge JSON.parse, a GC pause or an addon)';

function summarize(event: StallEvent, stackPending: boolean): string {
  const serving = event.requests.length > 0 ? `; serving ${event.requests.map((r) => `${r.method} ${r.route}`).join(', ')}` : '';
  if (event.kind === 'deaf') {
    const kick = event.kick ? `; kick with ${event.kick.signal} ${event.kick.helped ? 'helped' : 'did not help'}` : '';
    return `server deaf: ${event.probeFailures} probes failed in a row (${event.probeError}) while the event loop kept running${kick}${serving}`;
  }
  const who = event.thread.threadId === 0 ? 'event loop' : `worker thread "${event.thread.name}"`;
  const k = event.kernel;
  const later =
    event.stackTakenAfterMs !== undefined
      ? `; stack taken ${event.stackTakenAfterMs} ms after the stall began, as the thread came back to JS: in ${event.culprit ?? event.stack[0]}`
      : stackPending
        ? '; its JS stack will be added when it comes back to JS'
        : '';
  if (event.capture === 'inspector') return `${who} blocked in ${event.culprit ?? event.stack[0] ?? 'unknown code'}${serving}`;
  if (event.capture === 'syscall' && k) {
    const hint = syscallHints[k.syscallName ?? ''];
    return `${who} blocked in syscall ${k.syscallName}${hint ? `, ${hint}` : ''} (wchan ${k.wchan ?? '-'}, state ${k.state})${later}${serving}`;
  }
  if (event.capture === 'native' && k) return `${who} blocked in ${nativeWhat}; kernel state ${k.state}${later}${serving}`;
  return `${who} blocked; no stack${k ? ` (kernel state ${k.state}, running JS or native code)` : ''}${later}${serving}`;
}

// GC that took a fifth of the stall or more is named in the summary; less is only in `gc`.
function gcNote(over: { readonly lastedMs: number; readonly gc?: GcTime } | undefined): string {
  const gc = over?.gc;
  if (!gc || gc.ms < over.lastedMs / 5) return '';
  const pauses = `${gc.pauses} ${gc.pauses === 1 ? 'pause' : 'pauses'}, the longest ${gc.longestMs} ms`;
  return `; garbage collection took ${gc.ms} ms of its ${over.lastedMs} ms (${pauses})`;
}
