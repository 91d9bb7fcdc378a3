import { Redis, Cluster, type ClusterNode, type ClusterOptions, type RedisOptions } from 'ioredis';

/** The part of an ioredis client (standalone, Sentinel or Cluster) the fleet uses. */
export interface RedisLike {
  readonly status: string;
  evalsha(sha: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
  disconnect(): void;
}

/** `{ cluster: nodes, ...options }`: a Redis Cluster the fleet connects to itself. */
export interface ClusterSpec extends ClusterOptions {
  readonly cluster: ClusterNode[];
}

export interface Connection {
  readonly client: RedisLike;
  /** Whether the fleet made the client (and so closes it). */
  readonly owned: boolean;
}

const isClient = (value: object): value is RedisLike => typeof (value as RedisLike).evalsha === 'function';

/**
 * A client for `redis`: a URL, ioredis options, `{ cluster: nodes }`, or a client given as it is.
 * A client the fleet makes never queues commands while Redis is away and never holds the process
 * open: a sync that cannot be sent fails at once, and the host runs on its own guards.
 */
export function connect(redis: unknown, commandTimeout: number): Connection {
  // commandTimeout: how long an answer is still worth waiting for (a lease period).
  if (typeof redis === 'object' && redis !== null && isClient(redis)) return { client: redis, owned: false };
  const own = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout,
    connectTimeout: 1_000,
    retryStrategy: (n: number) => Math.min(50 * n, 500),
  };
  if (typeof redis === 'object' && redis !== null && Array.isArray((redis as ClusterSpec).cluster)) {
    const { cluster, ...options } = redis as ClusterSpec;
    const client = new Cluster(cluster, {
      ...options,
      enableOfflineQueue: false,
      clusterRetryStrategy: (n: number) => Math.min(50 * n, 500),
      redisOptions: { ...options.redisOptions, maxRetriesPerRequest: 0, commandTimeout, connectTimeout: 1_000 },
    });
    client.on('+node', (node: Redis) => unrefOnConnect(node));
    client.on('error', ignore);
    return { client, owned: true };
  }
  const client = typeof redis === 'string' ? new Redis(redis, own) : new Redis({ ...(redis as RedisOptions), ...own });
  unrefOnConnect(client);
  client.on('error', ignore);
  return { client, owned: true };
}

// A connection error is seen by the sync that fails: the 'error' event would only repeat it.
const ignore = (): void => {};

function unrefOnConnect(client: Redis): void {
  client.on('connect', () => (client as unknown as { stream?: { unref?: () => void } }).stream?.unref?.());
}
