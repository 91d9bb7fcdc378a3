import http from 'node:http';
import type { ProbeTarget } from './protocol.js';

export type ProbeResult = { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly ms: number; readonly error: string };

/**
 * Sends one request on a fresh connection and waits for response headers. A TCP connect alone
 * proves nothing (the kernel completes the handshake into the backlog), so only an answer counts.
 */
export async function probeOnce(target: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  // https pulls in TLS and crypto: loaded only for an https target, it keeps the thread small.
  const client = target.protocol === 'https:' ? await import('node:https') : http;
  const started = Date.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      const ms = Date.now() - started;
      resolve(error === undefined ? { ok: true, ms } : { ok: false, ms, error });
    };
    const request = client.request({
      host: target.host,
      port: target.port,
      socketPath: target.socketPath,
      path: target.path,
      auth: target.auth,
      method: 'GET',
      agent: false,
      // The probe checks liveness of the process's own server, not its certificate.
      rejectUnauthorized: false,
      headers: { 'user-agent': 'bulwark-watchdog', connection: 'close' },
    });
    const timer = setTimeout(() => finish(`no response within ${timeoutMs} ms`), timeoutMs);
    request.on('response', (response) => {
      response.resume();
      finish();
    });
    request.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
    request.end();
  });
}
