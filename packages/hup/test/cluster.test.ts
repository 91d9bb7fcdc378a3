import { type NodeChild, freePort, spawnNode, stopAll } from '@bulwark/test-rig';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { events, fixture, lines, until } from './helpers.js';

const children: NodeChild[] = [];
afterEach(async () => void (await stopAll(children.splice(0))));

async function primary(env: Record<string, string> = {}): Promise<{ child: NodeChild; port: number }> {
  const port = await freePort();
  const child = spawnNode(fixture('cluster.mjs'), { env: { PORT: String(port), WORKERS: '2', STARTUP_MS: '250', ...env } });
  children.push(child);
  await child.line(/^ready/);
  return { child, port };
}

/** The primary's fork/listening/exit lines in order, as [what, pid]. */
const timeline = (child: NodeChild) =>
  child.stdout
    .split('\n')
    .filter((l) => /^(fork|listening|exit|reload-start|event reload) /.test(l))
    .map((l) => l.split(' '));

/** One request on a fresh connection (no keep-alive socket to a retired worker). */
function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, agent: false }, (res) => {
      let body = '';
      res
        .setEncoding('utf8')
        .on('data', (c: string) => (body += c))
        .on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });
}

/** Requests the service in a loop until stopped; counts answers and failures. */
function hammer(port: number) {
  const tally = { ok: 0, failed: 0, pids: new Set<string>() };
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        tally.pids.add(await get(port));
        tally.ok++;
      } catch {
        tally.failed++;
      }
      await sleep(5);
    }
  })();
  return { tally, stop: async () => ((running = false), await loop, tally) };
}

/** Workers listening, never below `min`, through the timeline after ready. */
function fewestListening(child: NodeChild): number {
  const live = new Set<string>();
  let fewest = Infinity;
  for (const [what, pid] of timeline(child)) {
    if (what === 'listening') live.add(pid!);
    if (what === 'exit') live.delete(pid!);
    if (live.size >= 2 || what === 'exit') fewest = Math.min(fewest, live.size);
  }
  return fewest;
}

describe("cluster: 'rolling' in a real node:cluster primary", () => {
  it('a HUP replaces every worker one at a time, the new one listening before the old one leaves', async () => {
    const { child, port } = await primary();
    const before = lines(child, 'listening').map((l) => l[1]);
    const load = hammer(port);
    child.kill('SIGHUP');
    await until(() => events(child, 'reload').length === 1, 'the roll');
    const tally = await load.stop();
    expect(events(child, 'reload')[0]).toMatchObject({ replaced: 2 });
    const exits = lines(child, 'exit');
    expect(exits.map((l) => l[1]).sort()).toEqual([...before].sort());
    expect(exits.every((l) => l[2] === 'true')).toBe(true);
    expect(fewestListening(child)).toBe(2);
    expect(tally.failed).toBe(0);
    expect(tally.ok).toBeGreaterThan(0);
    expect(child.running).toBe(true);
  });

  it('HUPs during a roll cause exactly one more roll after it; never two rolls at once, never two replacements for one worker', async () => {
    const { child } = await primary();
    child.kill('SIGHUP');
    await child.line(/^reload-start 1/);
    for (let i = 0; i < 3; i++) {
      child.kill('SIGHUP');
      await sleep(30);
    }
    await until(() => events(child, 'reload').length === 2, 'two rolls');
    await sleep(800);
    expect(events(child, 'reload')).toHaveLength(2);
    expect(events(child, 'reload').map((r) => r.replaced)).toEqual([2, 2]);
    const marks = timeline(child).filter(([what]) => what === 'reload-start' || what === 'event');
    expect(marks.map(([what]) => what)).toEqual(['reload-start', 'event', 'reload-start', 'event']);
    const exited = lines(child, 'exit').map((l) => l[1]!);
    expect(new Set(exited).size).toBe(exited.length);
    expect(exited).toHaveLength(4);
    expect(lines(child, 'fork')).toHaveLength(2 + 4);
    expect(fewestListening(child)).toBe(2);
  });

  it('a new worker that never listens stops the roll with reload-error (roll); the old workers keep serving and nothing respawns it', async () => {
    const { child, port } = await primary({ NEW_WORKERS_HANG: '1', ROLL_TIMEOUT_MS: '1000' });
    const before = lines(child, 'listening').map((l) => l[1]);
    child.kill('SIGHUP');
    await until(() => events(child, 'reload-error').length === 1, 'the failed roll');
    expect(events(child, 'reload-error')[0]).toMatchObject({ reason: 'roll', errorCode: 'ERR_HUP_ROLL', replaced: 0 });
    // The killed worker's exit can lag on a loaded machine; then wait so a respawn would show.
    await until(() => lines(child, 'exit').length >= 1, "the hung worker's exit");
    await sleep(300);
    const exits = lines(child, 'exit');
    expect(exits).toHaveLength(1);
    expect(before).not.toContain(exits[0]![1]);
    expect(exits[0]![2]).toBe('true');
    expect(lines(child, 'fork')).toHaveLength(3);
    const answers = new Set([await get(port), await get(port), await get(port), await get(port)]);
    expect([...answers].every((pid) => before.includes(pid))).toBe(true);
  });
});
