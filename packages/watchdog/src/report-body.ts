import type { StallEvent } from './protocol.js';

/**
 * The report file's content: what stalled, for how long, where the main thread was. Only names,
 * numbers and code locations: no arguments, environment, variable values or request data.
 */
export function reportBody(event: StallEvent, context: { readonly stallMs: number; readonly probe?: string }): object {
  return {
    report: '@bulwark/watchdog',
    kind: event.kind,
    pid: process.pid,
    node: process.version,
    detectedAt: new Date(event.detectedAt).toISOString(),
    writtenAt: new Date().toISOString(),
    durationMs: event.durationMs,
    stallMs: context.stallMs,
    capture: event.capture,
    summary: summarize(event),
    stack: event.stack,
    kernel: event.kernel,
    probe: context.probe === undefined ? undefined : { target: context.probe, failures: event.probeFailures, lastError: event.probeError },
    kick: event.kick,
    action: event.action,
  };
}

function summarize(event: StallEvent): string {
  if (event.kind === 'deaf') {
    const kick = event.kick ? `; kick with ${event.kick.signal} ${event.kick.helped ? 'helped' : 'did not help'}` : '';
    return `server deaf: ${event.probeFailures} probes failed in a row (${event.probeError}) while the event loop kept running${kick}`;
  }
  if (event.capture === 'inspector') return `event loop blocked in ${event.stack[0] ?? 'unknown code'}`;
  const k = event.kernel;
  if (event.capture === 'syscall' && k)
    return `event loop blocked in syscall ${k.syscallName} (wchan ${k.wchan ?? '-'}, state ${k.state}); the main thread could not be paused for a JS stack`;
  return `event loop blocked; no stack (the main thread did not pause${k ? `, kernel state ${k.state}` : ''})`;
}
