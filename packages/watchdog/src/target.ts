import type { AddressInfo, Server } from 'node:net';
import { Server as HttpsServer } from 'node:https';
import type { ProbeTarget } from './protocol.js';

/** A probe target from a URL; the label drops credentials and the query string. */
export function targetFromUrl(raw: string): ProbeTarget {
  const url = new URL(raw);
  const protocol = url.protocol === 'https:' ? 'https:' : 'http:';
  const port = url.port ? Number(url.port) : protocol === 'https:' ? 443 : 80;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const auth = url.username ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` : undefined;
  return { protocol, host, port, auth, path: `${url.pathname}${url.search}`, label: `${protocol}//${url.host}${url.pathname}` };
}

export function targetFromSocket(socketPath: string, path: string): ProbeTarget {
  return { protocol: 'http:', socketPath, path, label: `unix:${socketPath}:${path}` };
}

/** The address a listening server answers on, seen from inside the same host. */
export function targetFromServer(server: Server, path: string): ProbeTarget | undefined {
  const address = server.address();
  if (address === null) return undefined;
  const protocol = server instanceof HttpsServer ? 'https:' : 'http:';
  if (typeof address === 'string') return { ...targetFromSocket(address, path), protocol };
  const host = loopbackFor(address);
  const shown = host.includes(':') ? `[${host}]` : host;
  return { protocol, host, port: address.port, path, label: `${protocol}//${shown}:${address.port}${path}` };
}

// A wildcard listener answers on loopback; a specific address is probed as it is.
function loopbackFor({ address, family }: AddressInfo): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return family === 'IPv6' ? '::1' : '127.0.0.1';
  return address;
}
