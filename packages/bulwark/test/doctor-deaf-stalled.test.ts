import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Leftovers, examine, findings, statuses } from './doctor-helpers.js';

const left = new Leftovers();
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await left.remove();
});

/** Opens `count` real connections; each resolves once the kernel completed its handshake. */
function connectMany(count: number, where: { port: number } | { path: string }): Promise<void[]> {
  const target = 'port' in where ? { port: where.port, host: '127.0.0.1' } : { path: where.path };
  return Promise.all(
    Array.from({ length: count }, () => {
      const socket = connect(target);
      sockets.push(socket);
      return new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    }),
  );
}

/** Connections one after another, `parallel` at a time, each reading the answer, until `stop` resolves. */
async function load(port: number, parallel: number, stop: Promise<unknown>): Promise<number> {
  let done = 0;
  let stopped = false;
  void stop.then(() => (stopped = true));
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1' });
      socket
        .on('data', () => {})
        .once('end', () => (done++, resolve()))
        .once('error', reject);
    });
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (!stopped) await one();
    }),
  );
  return done;
}

describe('bulwark doctor: a deaf server (Heisenbug)', () => {
  it('flags a TCP server whose accept queue fills from real connections while the process lives on', async () => {
    const child = await left.start('server.cjs', { env: { MODE: 'deaf', LISTEN: 'tcp' } }, /^listening/);
    const port = Number(child.stdout.match(/^listening (\d+)/m)![1]);
    await connectMany(5, { port });
    const report = await examine(child.pid, { sampleMs: 1000 });
    const [deaf] = findings(report, 'deaf');
    expect(deaf).toMatchObject({
      status: 'hazard',
      summary: `alive but not accepting: tcp 127.0.0.1:${port}: 5 connection(s) waited the whole 1.0 s`,
    });
    expect(deaf!.evidence).toContain(
      `tcp 127.0.0.1:${port} (socket:[${deaf!.evidence[1]!.match(/socket:\[(\d+)\]/)![1]}]): accept queue 5 then 5 after 1.0 s`,
    );
    // Its logs still tick: the main thread is not stalled, only the socket is deaf.
    expect(statuses(report, 'stalled')).toEqual(['ok']);
  });

  it('flags a deaf unix socket server the same way', async () => {
    const path = join(left.dir(), 'app.sock');
    const child = await left.start('server.cjs', { env: { MODE: 'deaf', LISTEN: `unix:${path}` } }, /^listening/);
    await connectMany(3, { path });
    const [deaf] = findings(await examine(child.pid, { sampleMs: 1000 }), 'deaf');
    expect(deaf).toMatchObject({
      status: 'hazard',
      summary: expect.stringMatching(new RegExp(`^alive but not accepting: unix ${path}: 3 `)),
    });
  });

  it('passes a healthy server under a load of real connections', async () => {
    const child = await left.start('server.cjs', { env: { MODE: 'healthy', LISTEN: 'tcp' } }, /^listening/);
    const port = Number(child.stdout.match(/^listening (\d+)/m)![1]);
    const examined = examine(child.pid, { sampleMs: 1000 });
    const served = load(port, 16, examined);
    const [deaf] = findings(await examined, 'deaf');
    expect(deaf).toMatchObject({ status: 'ok', summary: '1 listening socket(s), accepting' });
    expect(await served).toBeGreaterThan(16);
  });
});

describe('bulwark doctor: a stalled main thread', () => {
  it('flags a main thread that spins on the CPU', async () => {
    const child = await left.start('stall.cjs', { env: { MODE: 'busy' } }, /^stalling/);
    const [stalled] = findings(await examine(child.pid, { sampleMs: 1000 }), 'stalled');
    expect(stalled).toMatchObject({
      status: 'hazard',
      summary: 'main thread on the CPU through the whole 1.0 s sample: its event loop never waited',
    });
  });

  it('flags a main thread asleep in one syscall (Atomics.wait: futex) that never wakes', async () => {
    const child = await left.start('stall.cjs', { env: { MODE: 'futex' } }, /^stalling/);
    const [stalled] = findings(await examine(child.pid, { sampleMs: 1000 }), 'stalled');
    expect(stalled).toMatchObject({ status: 'hazard', summary: 'main thread blocked in futex for the whole 1.0 s sample, never woken' });
    expect(stalled!.evidence[1]).toContain('futex then futex');
  });

  it('passes a quiet service waiting in its event loop', async () => {
    const child = await left.start('stall.cjs', { env: { MODE: 'idle' } }, /^stalling/);
    const [stalled] = findings(await examine(child.pid, { sampleMs: 1000 }), 'stalled');
    expect(stalled).toMatchObject({
      status: 'ok',
      summary: expect.stringMatching(/^main thread (waiting \(epoll_p?wait\)|running), not stalled$/),
    });
  });
});
