import diagnostics_channel from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { probeAgent } from './protocol.js';
import type { SharedWriter } from './shared.js';

interface RequestStart {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
}

/**
 * Follows this thread's HTTP servers through `http.server.request.start`: each request's method
 * and path (no query string, headers or body) sits in shared memory until its response closes,
 * and every finished response is counted, so a server that answers needs no probe.
 */
export function followRequests(shared: SharedWriter): () => void {
  const onStart = (message: unknown) => {
    const { request, response } = message as RequestStart;
    // The probe's own requests are not the app's work: neither listed nor counted.
    if (request.headers['user-agent'] === probeAgent) return;
    const slot = shared.start(request.method ?? '?', routeOf(request.url));
    response.once('close', () => {
      shared.end(slot);
      if (response.writableFinished) shared.answered();
    });
  };
  diagnostics_channel.subscribe('http.server.request.start', onStart);
  return () => diagnostics_channel.unsubscribe('http.server.request.start', onStart);
}

function routeOf(url: string | undefined): string {
  if (url === undefined) return '?';
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

/** GC pauses shorter than this are not recorded: a scavenge takes about a millisecond. */
const gcMinMs = 2;

/**
 * Records this thread's GC pauses in shared memory, so that a stall can be told to have been
 * garbage collection. Node reports a pause after it ended (a stall's pauses arrive once it is over).
 */
export function followGc(shared: SharedWriter): () => void {
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries())
      if (entry.duration >= gcMinMs) shared.gcPause(performance.timeOrigin + entry.startTime, entry.duration);
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}
