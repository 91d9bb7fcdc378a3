import { afterEach, describe, expect, it } from 'vitest';
import { type NodeChild, stopAll } from '@bulwark/test-rig';
import { lines, reports, startApp, waitFor } from './helpers.js';

const children: NodeChild[] = [];
afterEach(async () => {
  await stopAll(children.splice(0));
});

describe('onStall actions', () => {
  it("'exit' with exit.signal ends the stuck process with that signal", async () => {
    const { child } = startApp('busy', { BLOCK_MS: '60000', ON_STALL: 'exit', EXIT: '{"signal":"SIGHUP"}' });
    children.push(child);
    expect(await child.exited).toEqual({ code: null, signal: 'SIGHUP' });
  });

  it("'exit' falls back to SIGKILL when the app's own handler for the signal cannot run on the stuck thread", async () => {
    const { child } = startApp('busy', { BLOCK_MS: '60000', ON_STALL: 'exit', EXIT: '{"signal":"SIGTERM","graceMs":500}' });
    children.push(child);
    expect(await child.exited).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it("'exit' ends a deaf server after the kick did not help, so its supervisor can restart it", async () => {
    const { child, reportDir } = startApp('hang', { ON_STALL: 'exit' });
    children.push(child);
    expect(await child.exited).toEqual({ code: 70, signal: null });
    expect(reports(reportDir)[0]!.report).toMatchObject({ kind: 'deaf', action: 'exit', kick: { helped: false } });
    // The loop still ran, so the main thread exited by itself: exit handlers ran, no debugger notice.
    expect(lines(child).find((l) => l.type === 'exit')).toMatchObject({ code: 70 });
    expect(child.stderr).not.toContain('Waiting for the debugger');
  });

  it('a function is called on the main thread with the stall once it runs again', async () => {
    const { child } = startApp('busy', { BLOCK_MS: '1500', ON_STALL: 'function' });
    children.push(child);
    expect(await waitFor(child, 'called')).toMatchObject({ kind: 'blocked' });
  });

  it('every stall is also published on diagnostics_channel bulwark:watchdog:stall', async () => {
    const { child } = startApp('busy', { BLOCK_MS: '1500' });
    children.push(child);
    expect(await waitFor(child, 'channel')).toMatchObject({ kind: 'blocked' });
  });
});
