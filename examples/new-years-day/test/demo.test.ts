import { spawnNode } from '@bulwark/test-rig';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('new-years-day demo', () => {
  it('shows the service dying of EMFILE near reload 1000 without the guard, and the leak forecast early with it', async () => {
    const child = spawnNode(fileURLToPath(new URL('../demo.mjs', import.meta.url)));
    const exit = await child.exited;
    expect(exit, child.stdout + child.stderr).toEqual({ code: 0, signal: null });
    expect(child.stdout).toMatch(/^without guard: .*died of EMFILE on day \d+/m);
    expect(child.stdout).toMatch(/^with guard: day \d+ leak report: limit reached in \d+ reloads, about \d+ days at one reload a day/m);
  });
});
