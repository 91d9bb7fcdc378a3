import { afterEach, describe, expect, it } from 'vitest';
import { type NodeChild, stopAll } from '@bulwark/test-rig';
import { lines, reports, startApp, ticks, ticksAfter, waitFor } from './helpers.js';

// What the watchdog does through the inspector after a stall: exit a busy loop with a code, and take
// the stack as a syscall returns to JS. On every Node line: on Node 22 a busy loop resumed after a
// pause serves no inspector message again, so the exit runs inside the pause that took the stack.

const children: NodeChild[] = [];
afterEach(async () => {
  await stopAll(children.splice(0));
});

describe('the watchdog through the inspector, after the stall', () => {
  it("'exit' ends the process with exit code 70 while the main thread is stuck in a busy loop, after the report", async () => {
    const { child, reportDir } = startApp('busy', { BLOCK_MS: '60000', ON_STALL: 'exit' });
    children.push(child);
    const exit = await child.exited;
    expect(exit).toEqual({ code: 70, signal: null });
    // process.exit ran on the main thread, so its exit handlers ran too.
    expect(lines(child).find((l) => l.type === 'exit')).toMatchObject({ code: 70 });
    expect(lines(child).some((l) => l.type === 'unstuck')).toBe(false);
    const [file] = reports(reportDir);
    expect(file!.report).toMatchObject({ kind: 'blocked', action: 'exit' });
    expect(file!.report.stack[0]).toMatch(/^computeChecksumForever/);
  });

  it('says "syscall" and what the kernel shows when the main thread sits in one (execSync sleep)', async () => {
    const { child, reportDir } = startApp('sleep');
    children.push(child);
    await waitFor(child, 'stall');
    const [file] = reports(reportDir);
    expect(file!.report).toMatchObject({ kind: 'blocked', capture: 'syscall', stackTakenAfterMs: expect.any(Number) });
    expect(file!.report.summary).toMatch(/blocked in syscall/);
    // The stack was taken as execSync came back to JS, still inside the function that called it.
    expect(file!.report.culprit).toMatch(/^sleep \(.*app\.mjs:\d+:\d+\)$/);
    expect(file!.report.kernel?.syscall).toEqual(expect.any(Number));
    expect(file!.report.kernel?.state).toBe('S');
    // The pause that could not land is dropped: once the syscall returns the loop runs on.
    await waitFor(child, 'unstuck');
    const before = ticks(child);
    expect(await ticksAfter(child, 600)).toBeGreaterThan(before);
  });
});
