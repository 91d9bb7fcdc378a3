import { afterEach, describe, expect, it } from 'vitest';
import { type NodeChild, stopAll } from '@bulwark/test-rig';
import { lines, reports, startApp, waitFor } from './helpers.js';

const children: NodeChild[] = [];
afterEach(async () => {
  await stopAll(children.splice(0));
});

describe('a blocked event loop', () => {
  it('is reported while it lasts, with a stack that names the blocking function', async () => {
    const { child, reportDir } = startApp('busy');
    children.push(child);
    const stall = await waitFor(child, 'stall');
    const event = stall.event as { kind: string; stack: string[]; reportPath: string; capture: string; durationMs: number };
    expect(event).toMatchObject({ kind: 'blocked', capture: 'inspector' });
    expect(event.durationMs).toBeGreaterThanOrEqual(500);
    expect(event.stack[0]).toMatch(/^computeChecksumForever \(.*app\.mjs:\d+:\d+\)$/);
    // The report was written by the watchdog thread during the stall, before the loop came back.
    const [file] = reports(reportDir);
    expect(file!.path).toBe(event.reportPath);
    expect(file!.report.summary).toContain('computeChecksumForever');
    const unstuck = lines(child).find((l) => l.type === 'unstuck')!;
    expect(Date.parse(file!.report.detectedAt)).toBeLessThan(unstuck.at as number);
  });

  it('writes its report file with mode 0600, once per episode', async () => {
    const { child, reportDir } = startApp('busy', { BLOCK_MS: '2500' });
    children.push(child);
    await waitFor(child, 'recover');
    const files = reports(reportDir);
    expect(files).toHaveLength(1);
    expect(files[0]!.mode).toBe(0o600);
  });

  it('captures the stack of a main thread waiting in Atomics.wait', async () => {
    const { child, reportDir } = startApp('atomics');
    children.push(child);
    await waitFor(child, 'stall');
    const [file] = reports(reportDir);
    expect(file!.report).toMatchObject({ kind: 'blocked', capture: 'inspector' });
    expect(file!.report.stack[0]).toMatch(/^atomics \(/);
  });

  it('reports the recovery once the loop runs again', async () => {
    const { child } = startApp('busy', { BLOCK_MS: '1500' });
    children.push(child);
    const recover = await waitFor(child, 'recover');
    expect(recover.event).toMatchObject({ kind: 'blocked', durationMs: expect.any(Number) });
  });
});
