import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process';
import { once } from 'node:events';
import { requireCommand } from './requirements.js';

/** Whether a process with this pid exists (signal 0 delivers nothing, it only checks). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  readonly args?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly execArgv?: readonly string[];
  readonly cwd?: string;
  /** Open an IPC channel (`process.send` in the child). @default false */
  readonly ipc?: boolean;
  /** Run the child with this soft and hard RLIMIT_NOFILE, through `prlimit`. */
  readonly nofile?: number;
  /** Run the child as this user id (the rig must run as root to give another one). */
  readonly uid?: number;
}

const live = new Set<NodeChild>();
process.once('exit', () => {
  for (const child of live) child.process.kill('SIGKILL');
});

/** A real Node child process, with its output kept and its messages and lines awaitable. */
export class NodeChild {
  readonly process: ChildProcess;
  /** Resolves once the child has exited and its output is all read. */
  readonly exited: Promise<Exit>;
  readonly messages: unknown[] = [];
  #stdout = '';
  #stderr = '';
  #waiters = new Set<() => void>();
  #hasExited = false;

  constructor(script: string, options: SpawnOptions = {}) {
    const node = [...(options.execArgv ?? []), script, ...(options.args ?? [])];
    const [file, args] =
      options.nofile === undefined
        ? [process.execPath, node]
        : [requireCommand('prlimit'), [`--nofile=${options.nofile}:${options.nofile}`, process.execPath, ...node]];
    const stdio: StdioOptions = options.ipc ? ['pipe', 'pipe', 'pipe', 'ipc'] : ['pipe', 'pipe', 'pipe'];
    this.process = spawn(file, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio, uid: options.uid });
    this.process.stdout!.setEncoding('utf8').on('data', (chunk: string) => this.#changed(() => (this.#stdout += chunk)));
    this.process.stderr!.setEncoding('utf8').on('data', (chunk: string) => this.#changed(() => (this.#stderr += chunk)));
    this.process.on('message', (message) => this.#changed(() => this.messages.push(message)));
    live.add(this);
    this.exited = once(this.process, 'close').then(([code, signal]) => {
      live.delete(this);
      this.#changed(() => (this.#hasExited = true));
      return { code, signal } as Exit;
    });
  }

  get pid(): number {
    return this.process.pid!;
  }
  get stdout(): string {
    return this.#stdout;
  }
  get stderr(): string {
    return this.#stderr;
  }
  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  send(message: unknown): void {
    this.process.send!(message as never);
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    return this.process.kill(signal);
  }

  /** Resolves with the first message (received so far or later) that `match` accepts. */
  message<T = unknown>(match: (message: T) => boolean = () => true, timeoutMs = 20_000): Promise<T> {
    return this.#until(() => (this.messages as T[]).find(match), `a matching message`, timeoutMs);
  }

  /** Resolves with the match of the first stdout line that matches `pattern`. */
  line(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    return this.#until(
      () =>
        this.#stdout
          .split('\n')
          .map((l) => l.match(pattern))
          .find(Boolean) ?? undefined,
      `a line matching ${pattern}`,
      timeoutMs,
    );
  }

  #changed(update: () => unknown): void {
    update();
    for (const wake of this.#waiters) wake();
  }

  #until<T>(probe: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        const found = probe();
        if (found !== undefined) return finish(() => resolve(found));
        if (this.#hasExited) finish(() => reject(this.#failure(`exited before ${what}`)));
      };
      const timer = setTimeout(() => finish(() => reject(this.#failure(`no ${what} within ${timeoutMs} ms`))), timeoutMs);
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        settle();
      };
      this.#waiters.add(check);
      check();
    });
  }

  #failure(what: string): Error {
    return new Error(`child ${this.pid} ${what}\n--- stdout\n${this.#stdout.slice(-2000)}\n--- stderr\n${this.#stderr.slice(-2000)}`);
  }
}

/** Starts one Node child running `script`. */
export function spawnNode(script: string, options: SpawnOptions = {}): NodeChild {
  return new NodeChild(script, options);
}

/** Starts `count` Node children running `script` with IPC; child `i` gets `WORKER_INDEX=i`. */
export function spawnWorkers(count: number, script: string, options: SpawnOptions = {}): NodeChild[] {
  return Array.from({ length: count }, (_, index) =>
    spawnNode(script, { ...options, ipc: true, env: { ...options.env, WORKER_INDEX: String(index) } }),
  );
}

/** Kills every child with `signal` and resolves with their exits, in order. */
export async function stopAll(children: readonly NodeChild[], signal: NodeJS.Signals = 'SIGKILL'): Promise<Exit[]> {
  for (const child of children) if (child.running) child.kill(signal);
  return Promise.all(children.map((child) => child.exited));
}
