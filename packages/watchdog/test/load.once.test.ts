import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type NodeChild, stopAll } from '@bulwark/test-rig';
import { lines, startApp, waitFor } from './helpers.js';

const children: NodeChild[] = [];
afterEach(async () => {
  await stopAll(children.splice(0));
});

/** Sends requests over `concurrency` keep-alive connections until `ms` have passed; counts answers. */
async function steadyLoad(port: number, ms: number, concurrency: number): Promise<{ ok: number; failed: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const end = Date.now() + ms;
  const counts = { ok: 0, failed: 0 };
  const one = () =>
    new Promise<void>((resolve) => {
      http
        .get({ host: '127.0.0.1', port, agent, timeout: 5000 }, (res) => {
          res.resume().on('end', () => {
            if (res.statusCode === 200) counts.ok++;
            else counts.failed++;
            resolve();
          });
        })
        .on('error', () => {
          counts.failed++;
          resolve();
        });
    });
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      // Bounded: a small pause between requests keeps the rate modest on a shared machine.
      while (Date.now() < end) {
        await one();
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    }),
  );
  agent.destroy();
  return counts;
}

describe('a healthy server under steady load', () => {
  it('raises no false alarm for a minute', { timeout: 120_000 }, async () => {
    const { child } = startApp('healthy', { STALL_MS: '1000', PROBE_TIMEOUT_MS: '1000' });
    children.push(child);
    const ready = await waitFor(child, 'ready');
    const counts = await steadyLoad(ready.port as number, 60_000, 4);
    expect(counts.ok).toBeGreaterThan(1000);
    expect(counts.failed).toBe(0);
    expect(lines(child).filter((l) => l.type === 'stall')).toEqual([]);
    expect(child.running).toBe(true);
  });
});
