import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireCommand } from './requirements.js';

export interface LogrotateOptions {
  /** Absolute paths of the logs, rotated in this order, all in one block. */
  readonly logs: readonly string[];
  /** Shell lines run after each log's rotation (once per log without `sharedscripts`). */
  readonly postrotate?: readonly string[];
  /** Run postrotate once for all logs. @default false (the story: one script run per log) */
  readonly sharedscripts?: boolean;
  /** `create` mode: move the log aside and create a new empty one. @default true */
  readonly create?: boolean;
  /** Rotate empty logs too. @default true */
  readonly ifempty?: boolean;
  /** More directives for the block, one per line. */
  readonly directives?: readonly string[];
  /** Where the config and the private state file go. @default a new temp folder */
  readonly dir?: string;
}

export interface LogrotateRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The real `logrotate` binary with its own config and a private state file, so a test never
 * reads or writes the machine's /var/lib/logrotate/status. `rotate()` runs
 * `logrotate -s <state> -f <conf>` (forced, so every run rotates).
 */
export class Logrotate {
  readonly binary = requireCommand('logrotate');
  readonly dir: string;
  readonly configPath: string;
  readonly statePath: string;
  readonly config: string;
  readonly #ownDir: boolean;

  constructor(options: LogrotateOptions) {
    this.#ownDir = options.dir === undefined;
    this.dir = options.dir ?? mkdtempSync(join(tmpdir(), 'bulwark-logrotate-'));
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.configPath = join(this.dir, 'logrotate.conf');
    this.statePath = join(this.dir, 'logrotate.state');
    this.config = renderConfig(options);
    // logrotate refuses a config that group or others may write.
    writeFileSync(this.configPath, this.config, { mode: 0o600 });
  }

  /** Rotates every log once; resolves with logrotate's exit code and output. */
  rotate(extraArgs: readonly string[] = []): Promise<LogrotateRun> {
    return new Promise((resolve) => {
      execFile(this.binary, ['-s', this.statePath, ...extraArgs, '-f', this.configPath], (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** Rotates and throws with logrotate's output when it fails. */
  async rotateOrThrow(): Promise<LogrotateRun> {
    const run = await this.rotate();
    if (run.code !== 0) throw new Error(`logrotate exited ${run.code}\n${run.stderr}\n--- config\n${this.config}`);
    return run;
  }

  /** Removes the temp folder this runner made (not a `dir` it was given). */
  remove(): void {
    if (this.#ownDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

function renderConfig(options: LogrotateOptions): string {
  const lines = [
    `${options.logs.map(quote).join(' ')} {`,
    '  rotate 5',
    '  nocompress',
    '  missingok',
    options.ifempty === false ? '  notifempty' : '  ifempty',
    options.create === false ? '  nocreate' : '  create 0644',
    ...(options.sharedscripts ? ['  sharedscripts'] : ['  nosharedscripts']),
    ...(options.directives ?? []).map((d) => `  ${d}`),
  ];
  if (options.postrotate?.length) lines.push('  postrotate', ...options.postrotate.map((l) => `    ${l}`), '  endscript');
  lines.push('}', '');
  return lines.join('\n');
}

function quote(path: string): string {
  return /[\s"]/.test(path) ? `"${path.replace(/"/g, '\\"')}"` : path;
}

/** A logrotate runner for `options`; call `remove()` when done. */
export function logrotate(options: LogrotateOptions): Logrotate {
  return new Logrotate(options);
}
