import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NodeChild, spawnNode } from '@bulwark/test-rig';

export const app = join(import.meta.dirname, 'fixtures/app.mjs');

export interface Line {
  readonly type: string;
  readonly [key: string]: unknown;
}

/** Runs the fixture service stuck in `mode`, with reports in a fresh folder. */
export function startApp(mode: string, env: Record<string, string> = {}, options: { nofile?: number } = {}) {
  const reportDir = mkdtempSync(join(tmpdir(), 'watchdog-test-'));
  const child = spawnNode(app, { env: { MODE: mode, REPORT_DIR: reportDir, ...env }, ipc: true, nofile: options.nofile });
  return { child, reportDir };
}

/** The JSON lines the fixture printed so far. */
export function lines(child: NodeChild): Line[] {
  return child.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);
}

/** Waits for the first JSON line of `type` and returns it. */
export async function waitFor(child: NodeChild, type: string, timeoutMs = 20_000): Promise<Line> {
  await child.line(new RegExp(`^\\{"type":"${type}"`), timeoutMs);
  return lines(child).find((l) => l.type === type)!;
}

/** How many timer ticks the fixture has logged; `ticksAfter` waits `ms` and counts again. */
export const ticks = (child: NodeChild): number => lines(child).filter((l) => l.type === 'tick').length;
export async function ticksAfter(child: NodeChild, ms: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ticks(child);
}

export interface Report {
  readonly kind: string;
  readonly detectedAt: string;
  readonly capture: string;
  readonly summary: string;
  readonly stack: string[];
  readonly culprit?: string;
  readonly stackTakenAfterMs?: number;
  readonly stackPending?: boolean;
  readonly thread: { name: string; threadId: number };
  readonly requests: Array<{ method: string; route: string; ms: number }>;
  readonly state?: unknown;
  readonly kernel?: { state: string; syscall?: number; syscallName?: string; wchan?: string };
  readonly gc?: { pauses: number; ms: number; longestMs: number };
  readonly lastedMs?: number;
  readonly kick?: { signal: string; helped: boolean };
  readonly probe?: { target: string; failures: number; lastError: string };
  readonly action: string;
}

/** Every report file in `dir`, with its permission bits. */
export function reports(dir: string): Array<{ path: string; mode: number; report: Report }> {
  return readdirSync(dir).map((name) => {
    const path = join(dir, name);
    return { path, mode: statSync(path).mode & 0o777, report: JSON.parse(readFileSync(path, 'utf8')) as Report };
  });
}
