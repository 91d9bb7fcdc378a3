import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type NodeChild, stopAll } from '@bulwark/test-rig';
import { reports, startApp, ticks, ticksAfter, waitFor } from './helpers.js';

const children: NodeChild[] = [];
afterEach(async () => {
  await stopAll(children.splice(0));
});

/** One request from outside the child: its status, or the reason it got none. */
function request(port: number, timeoutMs = 1500): Promise<number | string> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('a deaf server', () => {
  it('is found when its handlers never answer, though connects succeed and its timers keep ticking', async () => {
    const { child, reportDir } = startApp('hang');
    children.push(child);
    const ready = await waitFor(child, 'ready');
    const stall = await waitFor(child, 'stall');
    expect(stall.event).toMatchObject({ kind: 'deaf', probeFailures: 3, probeError: 'no response within 300 ms' });
    expect(await request(ready.port as number)).toBe('timeout');
    const [file] = reports(reportDir);
    expect(file!.report).toMatchObject({ kind: 'deaf', probe: { failures: 3 } });
    expect(file!.mode).toBe(0o600);
    // The loop stayed healthy all along: the log kept ticking.
    const before = ticks(child);
    await child.line(/"type":"tick"/);
    expect(await ticksAfter(child, 500)).toBeGreaterThan(before);
  });

  it('is asked again soon after a failed probe, not a whole interval later', async () => {
    // Probes every 6 s while healthy; after a failure the next follows in min(6000, max(stallMs, 1000)) = 1 s.
    const { child } = startApp('hang', { PROBE_INTERVAL_MS: '6000' });
    children.push(child);
    const stall = await waitFor(child, 'stall', 60_000);
    expect(stall.event).toMatchObject({ kind: 'deaf', probeFailures: 3 });
    // From the first failed probe: ≈ 2.3 s; three probes a whole interval apart would take over 12 s.
    expect((stall.event as { durationMs: number }).durationMs).toBeLessThan(6000);
  });

  it('is kicked with a signal that has a no-op listener, and the report says whether that helped', async () => {
    const { child, reportDir } = startApp('hang');
    children.push(child);
    await waitFor(child, 'stall');
    const [file] = reports(reportDir);
    expect(file!.report.kick).toEqual({ signal: 'SIGURG', helped: false });
    expect(file!.report.summary).toContain('kick with SIGURG did not help');
    expect(child.running).toBe(true);
  });

  it('counts as recovered, without exiting, when the kick brings the answers back', async () => {
    const { child, reportDir } = startApp('wakeable', { ON_STALL: 'exit', PROBE_TIMEOUT_MS: '2000' });
    children.push(child);
    const stall = await waitFor(child, 'stall');
    expect(stall.event).toMatchObject({ kind: 'deaf', kick: { signal: 'SIGURG', helped: true }, action: 'report' });
    expect(await waitFor(child, 'recover')).toMatchObject({ event: { kind: 'deaf' } });
    expect(reports(reportDir)[0]!.report.summary).toContain('kick with SIGURG helped');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(child.running).toBe(true);
  });

  it('is found when the process ran out of file descriptors and stopped accepting while its timers run', async () => {
    // The watchdog thread loads its code in its first second: it must be up before the descriptors run out.
    const { child, reportDir } = startApp('nofile', { STUCK_AFTER_MS: '3000' }, { nofile: 64 });
    children.push(child);
    const ready = await waitFor(child, 'ready');
    await waitFor(child, 'fds');
    const stall = await waitFor(child, 'stall');
    expect(stall.event).toMatchObject({ kind: 'deaf', probeError: 'EMFILE' });
    expect(await request(ready.port as number)).not.toBe(200);
    // The spare descriptor kept for reports let the watchdog write one anyway.
    expect(reports(reportDir)).toHaveLength(1);
    const before = ticks(child);
    expect(await ticksAfter(child, 600)).toBeGreaterThan(before);
  });

  it('is found through a Unix socket probe', async () => {
    const { child } = startApp('hang', { PROBE: 'unix' });
    children.push(child);
    const stall = await waitFor(child, 'stall');
    expect(stall.event).toMatchObject({ kind: 'deaf' });
  });
});
