import net, { type Socket } from 'node:net';
import { type ProbeTarget, probeAgent } from './protocol.js';

export type ProbeResult = { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly ms: number; readonly error: string };

/**
 * Sends one request on a fresh connection and waits for the status line. A TCP connect alone
 * proves nothing (the kernel completes the handshake into the backlog), so only an answer counts.
 * Written on a bare socket: node:http's client would cost the watchdog thread memory and time.
 */
export async function probeOnce(target: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  const started = Date.now();
  const socket = await connect(target);
  return new Promise((resolve) => {
    let settled = false;
    let head = '';
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const ms = Date.now() - started;
      resolve(error === undefined ? { ok: true, ms } : { ok: false, ms, error });
    };
    const timer = setTimeout(() => finish(`no response within ${timeoutMs} ms`), timeoutMs);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      head += chunk;
      if (/^HTTP\/\d(\.\d)? \d{3}/.test(head)) finish();
      else if (head.length >= 16) finish(`not an HTTP response: ${JSON.stringify(head.slice(0, 16))}`);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
    socket.on('close', () => finish('connection closed without a response'));
    socket.write(requestText(target));
  });
}

async function connect(target: ProbeTarget): Promise<Socket> {
  const where = target.socketPath !== undefined ? { path: target.socketPath } : { host: target.host, port: target.port };
  if (target.protocol === 'http:') return net.connect(where as net.NetConnectOpts);
  // TLS is loaded only for an https target: it keeps the thread small. The probe checks liveness
  // of the process's own server, not its certificate.
  const tls = await import('node:tls');
  const servername = target.host !== undefined && net.isIP(target.host) === 0 ? target.host : undefined;
  return tls.connect({ ...where, servername, rejectUnauthorized: false });
}

function requestText(target: ProbeTarget): string {
  const host =
    target.socketPath !== undefined
      ? 'localhost'
      : target.host!.includes(':')
        ? `[${target.host}]:${target.port}`
        : `${target.host}:${target.port}`;
  const auth = target.auth === undefined ? '' : `authorization: Basic ${Buffer.from(target.auth).toString('base64')}\r\n`;
  return `GET ${target.path} HTTP/1.1\r\nhost: ${host}\r\nuser-agent: ${probeAgent}\r\n${auth}connection: close\r\n\r\n`;
}
