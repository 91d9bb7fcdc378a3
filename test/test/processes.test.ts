import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { requireCommand, spawnNode, spawnWorkers, stopAll } from '../dist/index.js';

const worker = fileURLToPath(new URL('./fixtures/echo-worker.mjs', import.meta.url));

describe('the multi-process harness', () => {
  it('starts N real Node workers, messages each, and collects their exits after SIGKILL', async () => {
    const workers = spawnWorkers(3, worker);
    await Promise.all(workers.map((w, i) => w.line(new RegExp(`^worker ${i} ready`))));
    workers.forEach((w, i) => w.send({ ping: i }));
    const replies = await Promise.all(workers.map((w) => w.message<{ index: number; pid: number }>((m) => m.index !== undefined)));
    expect(replies.map((r) => r.index)).toEqual([0, 1, 2]);
    expect(replies.map((r) => r.pid)).toEqual(workers.map((w) => w.pid));
    const exits = await stopAll(workers);
    expect(exits).toEqual([0, 1, 2].map(() => ({ code: null, signal: 'SIGKILL' })));
  });

  it('runs a child under a low RLIMIT_NOFILE through prlimit', async () => {
    const limited = spawnNode(fileURLToPath(new URL('./fixtures/nofile.mjs', import.meta.url)), { nofile: 77 });
    await limited.exited;
    expect(limited.stdout.trim()).toBe('77');
  });

  it('fails a wait with the child output when the child exits first', async () => {
    const child = spawnNode(fileURLToPath(new URL('./fixtures/nofile.mjs', import.meta.url)));
    await expect(child.line(/never printed/)).rejects.toThrow(/exited before a line matching/);
  });

  it('names the install line for a command the machine lacks', () => {
    expect(() => requireCommand('no-such-binary-bulwark')).toThrow(
      /no-such-binary-bulwark is not installed.*apt-get install -y no-such-binary-bulwark/,
    );
    expect(requireCommand('logrotate')).toMatch(/\/logrotate$/);
  });
});
