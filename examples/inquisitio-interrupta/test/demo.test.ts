import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { spawnNode } from '@bulwark/test-rig';

describe('inquisitio-interrupta demo', () => {
  it('shows reads failing with a lost connection without the guard, none with it, and no duplicated write', async () => {
    const demo = spawnNode(fileURLToPath(new URL('../demo.mjs', import.meta.url)));
    const exit = await demo.exited;
    expect(exit.code, demo.stdout + demo.stderr).toBe(0);
    expect(demo.stdout).toMatch(/^without guard: [1-9]\d* of \d+ reads failed/m);
    expect(demo.stdout).toMatch(/^with guard: 0 of \d+ reads failed, [1-9]\d* retried, .* 0 duplicated/m);
  });
});
