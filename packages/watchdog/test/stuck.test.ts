import { openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type NodeChild, stopAll } from '@bulwark/test-rig';
import { type Report, lines, reports, startApp, waitFor } from './helpers.js';

const children: NodeChild[] = [];
afterEach(async () => {
  await stopAll(children.splice(0));
});

const stallMs = 500;
const pollMs = stallMs / 2;

/** Starts the fixture stuck in `mode` and returns its first stall report once it is final. */
async function stuckIn(mode: string, env: Record<string, string> = {}) {
  const { child, reportDir } = startApp(mode, { BLOCK_MS: '60000', STUCK_AFTER_MS: '300', ...env });
  children.push(child);
  const stuck = await waitFor(child, 'stuck', 60_000);
  // The report is final once no stack is pending (taken during the stall, or as the thread came back).
  await expect.poll(() => reports(reportDir).filter((r) => !r.report.stackPending).length, { timeout: 60_000, interval: 100 }).toBe(1);
  const report = reports(reportDir)[0]!.report;
  // Wide margin: the figure lives in bench/watchdog; this only says "during the stall, not after".
  expect(Date.parse(report.detectedAt) - (stuck.at as number)).toBeLessThan(stallMs + pollMs + 5_000);
  return { child, reportDir, report };
}

describe('every stuck kind is detected, classified, and named', () => {
  it('catastrophic regex backtracking: running JS, the function that ran the regex named', async () => {
    const { report } = await stuckIn('regex');
    expect(report).toMatchObject({ kind: 'blocked', capture: 'inspector' });
    expect(report.culprit).toMatch(/^validateUsername \(.*stuck\.mjs/);
  });

  it('crypto.pbkdf2Sync: native code, and the caller named once it comes back to JS', { timeout: 150_000 }, async () => {
    const { child, report } = await stuckIn('pbkdf2', { ITERATIONS: '15000000' });
    expect(report).toMatchObject({ kind: 'blocked', capture: 'native', kernel: { state: expect.stringMatching(/^[RD]$/) } });
    expect(report.summary).toMatch(/native code/);
    expect(report.culprit).toMatch(/^hashPasswordSync \(/);
    expect(report.stackTakenAfterMs).toBeGreaterThan(0);
    // The stall event carries the same late stack once the main thread runs again.
    expect(((await waitFor(child, 'stall')).event as Report).culprit).toBe(report.culprit);
  });

  it('zlib.gzipSync: the function that compresses named', { timeout: 90_000 }, async () => {
    const { report } = await stuckIn('gzip');
    expect(report.kind).toBe('blocked');
    expect(['inspector', 'native']).toContain(report.capture);
    expect(report.stack).toContainEqual(expect.stringMatching(/^compressBackupSync \(/));
  });

  it('a huge JSON.parse: the function that parses named', { timeout: 90_000 }, async () => {
    const { report } = await stuckIn('json');
    expect(report.kind).toBe('blocked');
    expect(['inspector', 'native']).toContain(report.capture);
    expect(report.stack).toContainEqual(expect.stringMatching(/^parseHugeExport \(/));
  });

  it(
    'a long GC pause: native code or a futex wait for the GC threads, and the function that forced it named after',
    { timeout: 90_000 },
    async () => {
      const { child, reportDir, report } = await stuckIn('gc');
      expect(report.kind).toBe('blocked');
      // A full GC runs on the main thread or waits (futex) for V8's helper threads to mark; a loaded
      // machine may also catch the thread between two collections, in JS.
      expect(['native', 'syscall', 'inspector']).toContain(report.capture);
      if (report.capture !== 'inspector') expect(report.summary).toMatch(/native code|GC pause/);
      expect(report.stack).toContainEqual(expect.stringMatching(/^compactCaches \(/));
      // Once the thread is back, Node has told its GC pauses: the recovery and the report carry them.
      const recovered = await waitFor(child, 'recover', 60_000);
      const { gc, durationMs } = recovered.event as { gc?: { pauses: number; ms: number; longestMs: number }; durationMs: number };
      expect(gc?.pauses).toBeGreaterThanOrEqual(1);
      expect(gc?.ms).toBeGreaterThanOrEqual(gc?.longestMs ?? Infinity);
      await expect.poll(() => reports(reportDir)[0]!.report.gc, { timeout: 10_000, interval: 100 }).toEqual(gc);
      const final = reports(reportDir)[0]!.report;
      expect(final.lastedMs).toBe(durationMs);
      expect(final.summary).toMatch(/; garbage collection took \d+ ms of its \d+ ms \(\d+ pauses?, the longest \d+ ms\)$/);
    },
  );

  it('a read on an empty FIFO: the syscall named (openat), the reader named once a writer comes', { timeout: 60_000 }, async () => {
    const { child, reportDir } = startApp('fifo', { STUCK_AFTER_MS: '300' });
    children.push(child);
    const ready = await waitFor(child, 'ready');
    await expect.poll(() => reports(reportDir).length, { timeout: 20_000, interval: 100 }).toBe(1);
    const during = reports(reportDir)[0]!.report;
    expect(during).toMatchObject({ kind: 'blocked', capture: 'syscall', kernel: { syscallName: 'openat', state: 'S' } });
    expect(during.summary).toMatch(/blocked in syscall openat/);
    expect(during.stack).toEqual([]);
    // A writer lets the read finish: the stack taken on the way back joins the same report.
    const fifo = join(tmpdir(), `watchdog-fifo-${ready.pid as number}`);
    const fd = openSync(fifo, 'w');
    writeSync(fd, 'reload\n');
    closeSync(fd);
    await waitFor(child, 'stall');
    const after = reports(reportDir);
    expect(after).toHaveLength(1);
    expect(after[0]!.report.culprit).toMatch(/^readCommandPipe \(/);
    expect(after[0]!.report.stackTakenAfterMs).toBeGreaterThan(0);
  });

  it('a blocked worker thread is reported by its name, stack and state, while the main thread runs on', async () => {
    const { child, report } = await stuckIn('worker');
    expect(report).toMatchObject({
      kind: 'blocked',
      thread: { name: 'thumbnailer', threadId: expect.any(Number) },
      capture: 'inspector',
      state: { image: 'cat.png' },
    });
    expect(report.thread.threadId).not.toBe(0);
    expect(report.culprit).toMatch(/^resizeImagesForever \(.*thumbnailer\.mjs:\d+:\d+\)$/);
    expect(report.summary).toMatch(/^worker thread "thumbnailer" blocked in resizeImagesForever /);
    // The main thread was never stuck: its log kept ticking.
    expect(lines(child).filter((l) => l.type === 'tick').length).toBeGreaterThan(0);
  });

  it(
    "a worker thread in native code: the kernel's view during the stall, its caller named once it comes back to JS",
    { timeout: 150_000 },
    async () => {
      const { report } = await stuckIn('worker', { ITERATIONS: '15000000' });
      expect(report).toMatchObject({
        kind: 'blocked',
        thread: { name: 'thumbnailer' },
        capture: 'native',
        kernel: { state: expect.stringMatching(/^[RD]$/) },
      });
      expect(report.culprit).toMatch(/^signThumbnailSync \(/);
      expect(report.stackTakenAfterMs).toBeGreaterThan(0);
    },
  );

  it('a worker thread that comes back is reported recovered, by name', async () => {
    const { child } = startApp('worker', { BLOCK_MS: '2500', STUCK_AFTER_MS: '300' });
    children.push(child);
    expect((await waitFor(child, 'stall')).event).toMatchObject({ kind: 'blocked', thread: { name: 'thumbnailer' } });
    expect((await waitFor(child, 'recover')).event).toMatchObject({ kind: 'blocked', thread: { name: 'thumbnailer' } });
  });

  it('a request handler that blocks: the report names its method and route, never its query string', async () => {
    const { child, reportDir } = startApp('healthy', { BLOCK_MS: '60000', STATE: '{"job":"nightly-export"}' });
    children.push(child);
    const ready = await waitFor(child, 'ready');
    void fetch(`http://127.0.0.1:${ready.port as number}/export/2024?token=hunter2`).catch(() => {});
    await expect.poll(() => reports(reportDir).length, { timeout: 20_000, interval: 100 }).toBe(1);
    const [file] = reports(reportDir);
    expect(file!.report).toMatchObject({
      kind: 'blocked',
      capture: 'inspector',
      requests: [{ method: 'GET', route: '/export/2024' }],
      state: { job: 'nightly-export' },
    });
    expect(file!.report.culprit).toMatch(/^computeChecksumForever \(/);
    expect(file!.report.summary).toContain('serving GET /export/2024');
    expect(JSON.stringify(file!.report)).not.toContain('hunter2');
  });
});
