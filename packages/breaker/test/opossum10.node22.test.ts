import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

// opossum 10 needs Node >= 22: this file runs on the Node 22, 24 and 26 legs only.
it('works with opossum 10: the host ticket as its semaphore, held past a timeout, the circuit and its trial', () => {
  const child = spawnSync(process.execPath, ['--import', fixture('opossum10-loader.mjs'), fixture('opossum10-scenario.mjs')], {
    timeout: 30_000,
  });
  expect(child.status, String(child.stderr)).toBe(0);
  expect(JSON.parse(String(child.stdout))).toEqual({
    node: process.versions.node.split('.')[0],
    loaded: ['10'],
    full: 'ERR_BULKHEAD_FULL',
    heldWhileBusy: 2,
    heldAfter: 0,
    value: 42,
    timedOut: 'ETIMEDOUT',
    heldAfterTimeout: 1,
    heldAfterAnswer: 0,
    failure: 'down',
    whileOpen: 'ERR_CIRCUIT_OPEN',
    trial: 'ok',
    state: 'closed',
  });
});
