import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { freePort } from './ports.js';
import { isAlive } from './processes.js';
import { findCommand, requireCommand } from './requirements.js';

export interface MariaDbStartOptions {
  /** Where the server's temp dir is made, and where dirs of dead runs are swept. @default os.tmpdir() */
  readonly tmpRoot?: string;
}

/** How to reach a MariaDB: plain data, so a vitest `globalSetup` can `provide` it to tests. */
export interface MariaDbAddress {
  readonly host: string;
  readonly port: number;
  readonly socketPath: string;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

const live = new Set<MariaDb>();
// A server must never outlive the run: kill what is left when the process exits at all.
process.once('exit', () => {
  for (const server of live) server.process?.kill('SIGKILL');
});


/**
 * A private MariaDB in a temp dir on a free loopback port, for one test file or one run.
 * `start()` resolves once a client can connect; `close()` stops it and removes the dir.
 */
export class MariaDb implements MariaDbAddress {
  readonly host = '127.0.0.1';
  readonly user = 'root';
  readonly password = '';
  readonly database = 'bulwark';
  readonly socketPath: string;
  process: ChildProcess | undefined;
  #port = 0;
  #log = '';

  private constructor(readonly dir: string) {
    this.socketPath = join(dir, 'mysqld.sock');
  }

  /** Installs a fresh datadir and starts the server. Throws with the server's log when it fails. */
  static async start({ tmpRoot = tmpdir() }: MariaDbStartOptions = {}): Promise<MariaDb> {
    const install = requireCommand('mariadb-install-db');
    requireCommand('mariadbd');
    sweepStale(tmpRoot);
    const dir = mkdtempSync(join(tmpRoot, 'bulwark-mariadb-'));
    writeFileSync(join(dir, 'owner.pid'), String(process.pid));
    const server = new MariaDb(dir);
    mkdirSync(server.tmpDir);
    live.add(server);
    try {
      // Its own tmpdir: two bootstraps sharing /tmp collide on their temp tables' names.
      await promisify(execFile)(install, [
        '--no-defaults',
        `--datadir=${server.dataDir}`,
        `--tmpdir=${server.tmpDir}`,
        '--auth-root-authentication-method=normal',
      ]);
      await server.#launchOnFreePort();
      const admin = await mysql.createConnection({ ...server.address, database: undefined });
      await admin.query(`CREATE DATABASE IF NOT EXISTS ${server.database}`);
      await admin.end();
    } catch (error) {
      await server.close();
      throw error;
    }
    return server;
  }

  /** The loopback TCP port, chosen at the first launch and kept by every restart. */
  get port(): number {
    return this.#port;
  }
  get dataDir(): string {
    return join(this.dir, 'data');
  }
  get tmpDir(): string {
    return join(this.dir, 'tmp');
  }
  get address(): MariaDbAddress {
    const { host, port, socketPath, user, password, database } = this;
    return { host, port, socketPath, user, password, database };
  }
  /** What the server printed (its error log goes to stderr with --no-defaults). */
  get log(): string {
    return this.#log;
  }
  get running(): boolean {
    return this.process !== undefined && this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Stops the server cleanly (SIGTERM) and waits for it to exit. */
  async stop(): Promise<void> {
    await this.#signal('SIGTERM');
  }

  /** Kills the server with SIGKILL, as a crash would, and waits for it to exit. */
  async kill(): Promise<void> {
    await this.#signal('SIGKILL');
  }

  /** Stops (if running) and starts again on the same datadir and port. */
  async restart(): Promise<void> {
    await this.stop();
    await this.#launch();
  }

  /** Starts a stopped or killed server again on the same datadir and port. */
  async start(): Promise<void> {
    if (!this.running) await this.#launch();
  }

  /** Stops the server and removes its temp dir. Idempotent. */
  async close(): Promise<void> {
    await this.kill();
    live.delete(this);
    rmSync(this.dir, { recursive: true, force: true });
  }

  async #signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.process;
    if (!child || !this.running) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  }

  /** Launches on a free port, chosen just now; again on another if someone took it before the bind. */
  async #launchOnFreePort(): Promise<void> {
    for (let tries = 1; ; tries++) {
      this.#port = await freePort();
      try {
        return await this.#launch();
      } catch (error) {
        if (tries === 3 || !this.#log.includes('Address already in use')) throw error;
      }
    }
  }

  async #launch(): Promise<void> {
    const args = [
      '--no-defaults',
      `--datadir=${this.dataDir}`,
      `--tmpdir=${this.tmpDir}`,
      `--socket=${this.socketPath}`,
      `--port=${this.port}`,
      '--bind-address=127.0.0.1',
      '--user=root',
      `--pid-file=${join(this.dir, 'mysqld.pid')}`,
      '--skip-name-resolve',
      '--innodb-buffer-pool-size=32M',
    ];
    // setpriv's parent-death signal kills the server even when this process dies by SIGKILL.
    const setpriv = findCommand('setpriv');
    const mariadbd = requireCommand('mariadbd');
    const child = setpriv
      ? spawn(setpriv, ['--pdeathsig', 'KILL', mariadbd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(mariadbd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process = child;
    const keep = (chunk: Buffer) => (this.#log = (this.#log + chunk.toString()).slice(-20_000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    await this.#ready(child);
  }

  async #ready(child: ChildProcess, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`mariadbd exited (${child.exitCode ?? child.signalCode}) before it was ready; its log:\n${this.#log}`);
      try {
        const probe = await mysql.createConnection({ ...this.address, database: undefined, connectTimeout: 1000 });
        await probe.end();
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`mariadbd was not ready within ${timeoutMs} ms (${(error as Error).message}); its log:\n${this.#log}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }
}

/**
 * Removes temp dirs of runs killed before they could clean up (SIGKILL, a timeout's
 * SIGTERM): their server died with them (setpriv's parent-death signal), their dir did not.
 */
function sweepStale(tmpRoot: string): void {
  for (const name of readdirSync(tmpRoot)) {
    if (!name.startsWith('bulwark-mariadb-')) continue;
    const dir = join(tmpRoot, name);
    try {
      // The process that started the server owns the dir; a killed server of a live owner stays.
      if (isAlive(Number(readFileSync(join(dir, 'owner.pid'), 'utf8')))) continue;
    } catch {
      continue; // an owner still writing its dir, or another sweep removed it
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The run's shared MariaDB from `inject('mariadb')` (see vitest-mariadb.ts), or the reason it could
 * not start, thrown so the test fails with the install line.
 */
export function sharedMariaDb(provided: MariaDbAddress | string | undefined): MariaDbAddress {
  if (provided === undefined) throw new Error('no shared MariaDB: add test/src/vitest-mariadb.ts to globalSetup in vitest.config.ts');
  if (typeof provided === 'string') throw new Error(provided);
  return provided;
}
