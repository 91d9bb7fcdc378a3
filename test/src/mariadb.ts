import { type ChildProcess, execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { requireCommand } from './requirements.js';
import { type ServerProcess, launchServer, onFreePort, sweepStaleDirs, waitUntilReady } from './server-process.js';

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
  #server: ServerProcess | undefined;

  private constructor(readonly dir: string) {
    this.socketPath = join(dir, 'mysqld.sock');
  }

  /** Installs a fresh datadir and starts the server. Throws with the server's log when it fails. */
  static async start({ tmpRoot = tmpdir() }: MariaDbStartOptions = {}): Promise<MariaDb> {
    const install = requireCommand('mariadb-install-db');
    requireCommand('mariadbd');
    sweepStaleDirs(tmpRoot, 'bulwark-mariadb-');
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
    return this.#server?.log() ?? '';
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
    await onFreePort(
      (port) => {
        this.#port = port;
        return this.#launch();
      },
      () => this.log,
    );
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
    const server = launchServer('mariadbd', args);
    this.process = server.child;
    this.#server = server;
    await waitUntilReady(server, 'mariadbd', () => this.#answers(), 30_000, 50);
  }

  async #answers(): Promise<boolean> {
    const probe = await mysql.createConnection({ ...this.address, database: undefined, connectTimeout: 1000 });
    await probe.end();
    return true;
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
