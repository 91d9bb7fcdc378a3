import { fileURLToPath } from 'node:url';
import { spawnNode } from '@bulwark/test-rig';
import { expect, it } from 'vitest';

it('shows a trial per host and hosts x tickets without the fleet tier, one trial per fleet and fleet.tickets with it', async () => {
  const demo = spawnNode(fileURLToPath(new URL('../demo.mjs', import.meta.url)), { cwd: fileURLToPath(new URL('..', import.meta.url)) });
  const exit = await demo.exited;
  expect(exit.code, demo.stdout + demo.stderr).toBe(0);
  expect(demo.stdout).toMatch(/^without guard: 3 hosts sent ([5-9]|\d\d+) half-open trials .*up to (1[1-9]|2\d) concurrent calls/m);
  expect(demo.stdout).toMatch(/^with guard: the fleet sent [0-4] half-open trials .*up to ([0-9]|10) concurrent calls/m);
}, 180_000);
