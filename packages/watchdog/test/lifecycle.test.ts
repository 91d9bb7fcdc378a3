import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionError } from '@bulwark/core';
import { type NodeChild, spawnNode, stopAll } from '@bulwark/test-rig';
import { checkWatchdogOptions, startWatchdog } from '../dist/index.js';
import { reports, startApp, waitFor } from './helpers.js';

const children: NodeChild[] = [];
afterEach(async () => {
  await stopAll(children.splice(0));
});

/** Inodes of the listening TCP sockets (state 0A) this host has. */
function listeningInodes(): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6'])
    for (const row of readFileSync(table, 'utf8').trim().split('\n').slice(1)) {
      const cols = row.trim().split(/\s+/);
      if (cols[3] === '0A') inodes.add(cols[9]!);
    }
  return inodes;
}

/** The target of `/proc/<pid>/fd/<fd>`, or '' when the descriptor closed after it was listed. */
function fdTarget(path: string): string {
  try {
    return readlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

/** Listening TCP sockets held by process `pid`. */
function listeningSocketsOf(pid: number): number {
  const listening = listeningInodes();
  const fdDir = `/proc/${pid}/fd`;
  return readdirSync(fdDir)
    .map((fd) => fdTarget(join(fdDir, fd)).match(/^socket:\[(\d+)\]$/)?.[1])
    .filter((inode) => inode !== undefined && listening.has(inode)).length;
}

describe('watchdog lifecycle', () => {
  it('close() stops the thread, removes its listeners and handles, and the process exits normally', async () => {
    const child = spawnNode(join(import.meta.dirname, 'fixtures/close.mjs'));
    children.push(child);
    const exit = await child.exited;
    const [counts, exited] = child.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(counts.during.sigurg).toBe(1);
    expect(counts.during.requestSubscribers).toBe(true);
    expect(counts.during.threads).toBeGreaterThan(counts.before.threads);
    // One close, awaited: the same promise every call, and the thread is gone once it settles.
    expect(counts.samePromise).toBe(true);
    expect(counts.closedAfter).toBe(true);
    expect(counts.after.threads).toBe(counts.before.threads);
    expect(counts.after.requestSubscribers).toBe(false);
    expect(counts.after.sigurg).toBe(counts.before.sigurg);
    expect(counts.after.listening).toBe(counts.before.listening);
    const settled = (r: string[]) => r.filter((name) => name !== 'CloseReq');
    expect(settled(counts.after.resources)).toEqual(settled(counts.before.resources));
    expect(exited).toEqual({ exit: 0 });
    expect(exit).toEqual({ code: 0, signal: null });
    expect(child.stderr).not.toContain('Waiting for the debugger');
  });

  it('does not keep the process alive: an app with only a running watchdog exits on its own', async () => {
    const child = spawnNode(join(import.meta.dirname, 'fixtures/idle.mjs'));
    children.push(child);
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.stdout).toContain('last timer');
  });

  it('lets an app that calls process.exit() itself exit quietly, with no debugger notice', async () => {
    const child = spawnNode(join(import.meta.dirname, 'fixtures/idle.mjs'), { env: { EXIT_ITSELF: '1' } });
    children.push(child);
    expect(await child.exited).toEqual({ code: 3, signal: null });
    expect(child.stderr).toBe('');
  });

  it('never opens an inspector port, even while capturing a stack', async () => {
    const { child } = startApp('busy', { BLOCK_MS: '1500' });
    children.push(child);
    const stall = await waitFor(child, 'stall');
    expect(stall.inspectorUrl).toBeNull();
    // The only listening socket the process holds is the app's own server.
    expect(listeningSocketsOf(child.pid)).toBe(1);
  });

  it('rejects bad options at construction, naming the option and the value', () => {
    expect(() => startWatchdog({ stallMs: -5 })).toThrow(InvalidOptionError);
    expect(() => startWatchdog({ stallMs: -5 })).toThrow(/stallMs must be .* got -5/);
    expect(() => startWatchdog({ onStall: 'explode' as never })).toThrow(/onStall must be one of "report", "exit"/);
    expect(() => startWatchdog({ probe: { url: 'http://x', socketPath: '/s' } })).toThrow(
      /probe must be at most one of url, socketPath or server/,
    );
    expect(() => startWatchdog({ probe: { url: 'ftp://x' } })).toThrow(/probe.url must be a string matching/);
    expect(() => startWatchdog({ probe: { server: 'second' as never } })).toThrow(
      /probe.server must be an http.Server or https.Server, or 'first'/,
    );
    expect(() => startWatchdog({ exit: { code: 1, signal: 'SIGTERM' } })).toThrow(/exit must be a code or a signal/);
    expect(() => startWatchdog({ stalMs: 10 } as never)).toThrow(/watchdog options.stalMs/);
  });

  it('rejects an exit.signal this platform does not have, before anything starts', () => {
    expect(() => startWatchdog({ onStall: 'exit', exit: { signal: 'SIGFOO' as never } })).toThrow(
      /exit.signal must be a signal name from os.constants.signals, got 'SIGFOO'/,
    );
    expect(() => startWatchdog({ onStall: 'exit', exit: { signal: 'toString' as never } })).toThrow(/exit.signal must be a signal name/);
    expect(() => checkWatchdogOptions({ exit: { signal: 'SIGTERM' } })).not.toThrow();
  });

  it('a stall listener that throws changes nothing: the report, the other listeners and onStall run, the error surfaces', async () => {
    const { child, reportDir } = startApp('busy', { BLOCK_MS: '1500', ON_STALL: 'function', THROWING_LISTENER: '1' });
    children.push(child);
    expect(await waitFor(child, 'called')).toMatchObject({ kind: 'blocked' });
    expect(await waitFor(child, 'stall')).toBeDefined();
    expect(await waitFor(child, 'uncaught')).toMatchObject({ message: 'listener bug' });
    expect(reports(reportDir)).toHaveLength(1);
    await waitFor(child, 'recover');
    expect(child.running).toBe(true);
  });

  it('stays quiet while the loop is healthy', async () => {
    // Three stall periods in this test worker, with a threshold no scheduling hiccup reaches.
    const watchdog = startWatchdog({ stallMs: 500 });
    const stalls: unknown[] = [];
    watchdog.on('stall', (e) => stalls.push(e));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await watchdog.close();
    expect(stalls).toEqual([]);
  });
});
