import { fileURLToPath } from 'node:url';
import { spawnNode } from '@bulwark/test-rig';
import { expect, it } from 'vitest';

it('shows the silent split without re-creation and the limit held with it', async () => {
  const demo = spawnNode(fileURLToPath(new URL('../demo.mjs', import.meta.url)), { cwd: fileURLToPath(new URL('..', import.meta.url)) });
  const exit = await demo.exited;
  expect(exit.code, demo.stdout + demo.stderr).toBe(0);
  expect(demo.stdout).toMatch(/^without guard: .*up to ([4-9]|\d\d+) concurrent calls/m);
  expect(demo.stdout).toMatch(/^with guard: .*0 crashed workers.*up to [0-3] concurrent calls after convergence/m);
});
