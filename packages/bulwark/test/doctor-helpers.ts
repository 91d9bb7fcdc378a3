import { type NodeChild, type SpawnOptions, spawnNode } from '@bulwark/test-rig';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CheckName, type DoctorOptions, type Finding, type ProcessReport, doctor } from '../dist/index.js';

export const doctorFixture = (name: string) => fileURLToPath(new URL(`./fixtures/doctor/${name}`, import.meta.url));

/** Children and temp folders a test made, removed after it. */
export class Leftovers {
  readonly children: NodeChild[] = [];
  readonly dirs: string[] = [];

  /** A fixture child, once it printed `ready` (or `pattern`). */
  async start(name: string, options: SpawnOptions = {}, pattern = /^ready/): Promise<NodeChild> {
    const child = spawnNode(doctorFixture(name), options);
    this.children.push(child);
    await child.line(pattern);
    return child;
  }

  /** A temp folder (0755, so a child running as another user can write into it). */
  dir(prefix = 'bulwark-doctor-'): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  /** A host tree for `root`: each key an absolute path under it. */
  host(files: Record<string, string>): string {
    const root = this.dir('bulwark-doctor-root-');
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text, { mode: 0o600 });
    }
    return root;
  }

  async remove(): Promise<void> {
    for (const child of this.children.splice(0)) if (child.running) child.kill('SIGKILL');
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}

/** The doctor's report on one process. */
export async function examine(pid: number, options: Omit<DoctorOptions, 'pids'> = {}): Promise<ProcessReport> {
  const report = await doctor({ sampleMs: 200, ...options, pids: [pid] });
  return report.processes[0]!;
}

/** The findings of one check. */
export const findings = (report: ProcessReport, check: CheckName): Finding[] => report.findings.filter((f) => f.check === check);

/** The statuses of one check's findings. */
export const statuses = (report: ProcessReport, check: CheckName) => findings(report, check).map((f) => f.status);

/** Polls `probe` every 20 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function until(probe: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
