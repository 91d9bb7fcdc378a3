import { type ChildProcess, execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireCommand } from './requirements.js';
import { type ServerProcess, launchServer, onFreePort, sweepStaleDirs, waitUntilReady } from './server-process.js';

const live = new Set<RedisServer>();
// A server must never outlive the run: kill what is left when the process exits at all.
process.once('exit', () => {
  for (const server of live) server.process?.kill('SIGKILL');
});

export interface RedisStartOptions {
  /** Run as a Redis Cluster node (cluster-enabled). @default false */
  readonly cluster?: boolean;
  /** Where the server's temp dir is made, and where dirs of dead runs are swept. @default os.tmpdir() */
  readonly tmpRoot?: string;
}

/**
 * A private redis-server in a temp dir on a free loopback port, with no persistence: a restart
 * comes back empty, as a crashed cache does. `close()` kills it and removes the dir.
 */
export class RedisServer {
  readonly host = '127.0.0.1';
  process: ChildProcess | undefined;
  #port = 0;
  #server: ServerProcess | undefined;

  private constructor(
    readonly dir: string,
    private readonly cluster: boolean,
  ) {}

  static async start({ cluster = false, tmpRoot = tmpdir() }: RedisStartOptions = {}): Promise<RedisServer> {
    requireCommand('redis-server');
    sweepStaleDirs(tmpRoot, 'bulwark-redis-');
    const dir = mkdtempSync(join(tmpRoot, 'bulwark-redis-'));
    writeFileSync(join(dir, 'owner.pid'), String(process.pid));
    const server = new RedisServer(dir, cluster);
    live.add(server);
    try {
      await onFreePort(
        (port) => {
          server.#port = port;
          return server.#launch();
        },
        () => server.log,
      );
    } catch (error) {
      await server.close();
      throw error;
    }
    return server;
  }

  get port(): number {
    return this.#port;
  }
  get url(): string {
    return `redis://${this.host}:${this.#port}`;
  }
  get log(): string {
    return this.#server?.log() ?? '';
  }
  get running(): boolean {
    return this.process !== undefined && this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Kills the server (SIGKILL) and waits for it to exit: everything it held is lost. */
  async kill(): Promise<void> {
    const child = this.process;
    if (!child || !this.running) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** Starts a killed server again, empty, on the same port. */
  async start(): Promise<void> {
    if (!this.running) await this.#launch();
  }

  /** SIGSTOP: the server keeps its connections and answers nothing (a hung or partitioned Redis). */
  pause(): void {
    this.process?.kill('SIGSTOP');
  }

  resume(): void {
    this.process?.kill('SIGCONT');
  }

  /** Runs redis-cli against the server. */
  async cli(...args: string[]): Promise<string> {
    const { stdout } = await promisify(execFile)(requireCommand('redis-cli'), ['-h', this.host, '-p', String(this.#port), ...args]);
    return stdout;
  }

  async close(): Promise<void> {
    this.resume();
    await this.kill();
    live.delete(this);
    rmSync(this.dir, { recursive: true, force: true });
  }

  async #launch(): Promise<void> {
    const args = [
      '--port',
      String(this.#port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
    ];
    if (this.cluster)
      args.push('--cluster-enabled', 'yes', '--cluster-config-file', join(this.dir, 'nodes.conf'), '--cluster-node-timeout', '2000');
    const server = launchServer('redis-server', args);
    this.process = server.child;
    this.#server = server;
    await waitUntilReady(server, 'redis-server', () => pong(this.host, this.#port), 10_000, 20);
  }
}

/** Whether a PING on a fresh connection gets PONG within half a second. */
async function pong(host: string, port: number): Promise<boolean> {
  const socket = connect(port, host);
  const timer = setTimeout(() => socket.destroy(), 500);
  try {
    const answer = await new Promise<string>((resolve) => {
      socket.on('error', () => resolve(''));
      socket.on('close', () => resolve(''));
      socket.on('connect', () => socket.write('PING\r\n'));
      socket.on('data', (data) => resolve(data.toString()));
    });
    return answer.startsWith('+PONG');
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}

/** A Redis Cluster of `masters` private servers (no replicas), every slot assigned. */
export class RedisCluster {
  private constructor(readonly nodes: RedisServer[]) {}

  static async start(masters = 3, options: { tmpRoot?: string } = {}): Promise<RedisCluster> {
    const nodes: RedisServer[] = [];
    try {
      for (let i = 0; i < masters; i++) nodes.push(await RedisServer.start({ ...options, cluster: true }));
      const addresses = nodes.map((n) => `${n.host}:${n.port}`);
      await promisify(execFile)(requireCommand('redis-cli'), [
        '--cluster',
        'create',
        ...addresses,
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ]);
      await waitForClusterOk(nodes);
    } catch (error) {
      await Promise.all(nodes.map((n) => n.close()));
      throw error;
    }
    return new RedisCluster(nodes);
  }

  /** What ioredis's Cluster takes as its start-up nodes. */
  get startupNodes(): Array<{ host: string; port: number }> {
    return this.nodes.map((n) => ({ host: n.host, port: n.port }));
  }

  /** The node that serves `key`'s slot. */
  async nodeFor(key: string): Promise<RedisServer> {
    const slot = Number((await this.nodes[0]!.cli('CLUSTER', 'KEYSLOT', key)).trim());
    const shards = (await this.nodes[0]!.cli('CLUSTER', 'SLOTS')).trim().split('\n');
    // redis-cli prints each range as: start, end, host, port, id (one value a line)
    for (let i = 0; i + 3 < shards.length; i++) {
      const start = Number(shards[i]);
      const end = Number(shards[i + 1]);
      const port = Number(shards[i + 3]);
      if (Number.isInteger(start) && Number.isInteger(end) && start <= slot && slot <= end) {
        const node = this.nodes.find((n) => n.port === port);
        if (node) return node;
      }
    }
    throw new Error(`no node serves slot ${slot}`);
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.close()));
  }
}

async function waitForClusterOk(nodes: RedisServer[], timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const infos = await Promise.all(nodes.map((n) => n.cli('CLUSTER', 'INFO')));
    if (infos.every((info) => info.includes('cluster_state:ok'))) return;
    if (Date.now() > deadline) throw new Error(`the Redis Cluster was not ok within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
