import { spawnNode } from '@bulwark/test-rig';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('loser-buys demo', () => {
  it('shows the double HUP killing or overlapping a hand-written handler, and one serialized reload with the guard', async () => {
    const child = spawnNode(fileURLToPath(new URL('../demo.mjs', import.meta.url)));
    const exit = await child.exited;
    expect(exit, child.stdout + child.stderr).toEqual({ code: 0, signal: null });
    expect(child.stdout).toMatch(/^without guard: .*/m);
    expect(child.stdout).toMatch(/^with guard: \d HUPs: \d serialized reload, alive, both logs reopened/m);
  });
});
