import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { isAlive } from './processes.js';
import { findCommand, requireCommand } from './requirements.js';

/** A server the rig launched: its process and the tail of what it printed. */
export interface ServerProcess {
  readonly child: ChildProcess;
  /** The last 20,000 characters of its stdout and stderr. */
  log(): string;
}

/**
 * Starts `command` (which must be installed: the test fails with the install line otherwise) with
 * `args`. setpriv's parent-death signal kills the server even when this process dies by SIGKILL.
 */
export function launchServer(command: string, args: readonly string[]): ServerProcess {
  const setpriv = findCommand('setpriv');
  const server = requireCommand(command);
  const child = setpriv
    ? spawn(setpriv, ['--pdeathsig', 'KILL', server, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(server, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (chunk: Buffer) => (log = (log + chunk.toString()).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { child, log: () => log };
}

/**
 * Waits until `probe()` resolves true (a rejection counts as not yet), failing with the server's log
 * when it exits first or `timeoutMs` passes.
 */
export async function waitUntilReady(
  server: ServerProcess,
  name: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  everyMs: number,
): Promise<void> {
  const { child } = server;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before it was ready; its log:\n${server.log()}`);
    let why = '';
    try {
      if (await probe()) return;
    } catch (error) {
      why = ` (${(error as Error).message})`;
    }
    if (Date.now() > deadline) throw new Error(`${name} was not ready within ${timeoutMs} ms${why}; its log:\n${server.log()}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * Removes the rig's temp dirs named `<prefix>*` of runs killed before they could clean up
 * (SIGKILL, a timeout's SIGTERM): their server died with them (setpriv's parent-death signal),
 * their dir did not. The process that started a server owns its dir (`owner.pid`); a killed
 * server of a live owner stays.
 */
export function sweepStaleDirs(tmpRoot: string, prefix: string): void {
  for (const name of readdirSync(tmpRoot)) {
    if (!name.startsWith(prefix)) continue;
    const dir = join(tmpRoot, name);
    try {
      if (isAlive(Number(readFileSync(join(dir, 'owner.pid'), 'utf8')))) continue;
    } catch {
      continue; // an owner still writing its dir, or another sweep removed it
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Launches on a free loopback port: `launch(port)` with a port just picked, and again with another
 * (three tries) when someone took it before the server could bind.
 */
export async function onFreePort(launch: (port: number) => Promise<void>, log: () => string): Promise<void> {
  for (let tries = 1; ; tries++) {
    try {
      return await launch(await freePort());
    } catch (error) {
      if (tries === 3 || !log().includes('Address already in use')) throw error;
    }
  }
}
