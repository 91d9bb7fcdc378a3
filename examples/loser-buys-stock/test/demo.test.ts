import { spawnNode } from '@bulwark/test-rig';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('loser-buys-stock demo', () => {
  it('a stock pino + fastify service dies of the first logrotate HUP without the flag, and with only BULWARK_HUP=1 keeps every line in the right file', async () => {
    const child = spawnNode(fileURLToPath(new URL('../demo.mjs', import.meta.url)));
    const exit = await child.exited;
    expect(exit, child.stdout + child.stderr).toEqual({ code: 0, signal: null });
    expect(child.stdout).toMatch(/^without guard: stock pino \+ fastify killed by SIGHUP/m);
    expect(child.stdout).toMatch(/^with guard: BULWARK_HUP=1 only: alive through 2 rotations, \d+ lines each in the right file/m);
  });
});
