import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type NodeChild, spawnNode, stopAll } from '@bulwark/test-rig';
import { lines, reports } from './helpers.js';

const children: NodeChild[] = [];
afterEach(async () => {
  await stopAll(children.splice(0));
});

describe('report files', () => {
  it('never contain the credentials or query string of the probed URL, and stop at reportsPerHour', async () => {
    const reportDir = mkdtempSync(join(tmpdir(), 'watchdog-test-'));
    const child = spawnNode(join(import.meta.dirname, 'fixtures/secrets.mjs'), { env: { REPORT_DIR: reportDir } });
    children.push(child);
    await expect.poll(() => lines(child).filter((l) => l.type === 'stall').length, { timeout: 20_000, interval: 100 }).toBe(2);
    const [first, second] = lines(child)
      .filter((l) => l.type === 'stall')
      .map((l) => l.event as { reportPath?: string });
    expect(first!.reportPath).toEqual(expect.any(String));
    expect(second!.reportPath).toBeUndefined();
    const files = reports(reportDir);
    expect(files).toHaveLength(1);
    const text = readFileSync(files[0]!.path, 'utf8');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('admin');
    expect(files[0]!.report.probe!.target).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/status$/);
  });
});
