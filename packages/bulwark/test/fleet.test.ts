import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { type FaultProxy, RedisServer, sharedMariaDb, startFaultProxy } from '@bulwark/test-rig';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { enable, flagsFromEnv } from '../dist/index.js';

const mysql = createRequire(import.meta.url)('mysql2/promise') as typeof import('mysql2/promise');
let redis: RedisServer;
const closers: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => redis?.close());
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function proxyToServer(): Promise<FaultProxy> {
  const proxy = await startFaultProxy(sharedMariaDb(inject('mariadb')));
  closers.push(async () => {
    await proxy.close();
    rmSync(`/dev/shm/bulwark.${process.getuid!()}.mysql_${proxy.host}_${proxy.port}@${hostname()}`, { force: true });
  });
  return proxy;
}

/** The hosts the fleet's Redis has seen for the resource of `proxy`. */
async function hostsSeen(proxy: FaultProxy): Promise<string[]> {
  for (let i = 0; i < 100; i++) {
    const seen = (await redis.cli('ZRANGE', `bulwark:{mysql_${proxy.host}_${proxy.port}}:seen`, '0', '-1')).trim();
    if (seen) return seen.split('\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return [];
}

async function queryThrough(flags: Parameters<typeof enable>[0], proxy: FaultProxy): Promise<void> {
  const guards = enable(flags);
  closers.push(() => guards.close());
  const pool = mysql.createPool({ host: proxy.host, port: proxy.port, user: 'root', database: 'bulwark', connectionLimit: 2 });
  closers.push(() => pool.end());
  expect((await pool.query('SELECT 1 AS n'))[0]).toEqual([{ n: 1 }]);
}

describe('the fleet flag', () => {
  it('reads BULWARK_FLEET_REDIS as the breaker with every resource in the fleet, beside BULWARK_BREAKER options', () => {
    expect(flagsFromEnv({ BULWARK_FLEET_REDIS: 'redis://r:6379' })).toEqual({ breaker: { fleet: { redis: 'redis://r:6379' } } });
    expect(flagsFromEnv({ BULWARK_BREAKER: '{"tickets":8,"fleet":{"tickets":40}}', BULWARK_FLEET_REDIS: 'redis://r:6379' })).toEqual({
      breaker: { tickets: 8, fleet: { tickets: 40, redis: 'redis://r:6379' } },
    });
  });

  it('gives every mysql resource the fleet tier with enable({ breaker: { fleet: { redis } } })', async () => {
    const proxy = await proxyToServer();
    await queryThrough({ breaker: { fleet: { redis: redis.url } } }, proxy);
    expect(await hostsSeen(proxy)).toEqual([hostname()]);
  });

  it('gives every mysql resource the fleet tier with BULWARK_BREAKER=\'{"fleet":{"redis":"redis://…"}}\'', async () => {
    const proxy = await proxyToServer();
    await queryThrough(flagsFromEnv({ BULWARK_BREAKER: JSON.stringify({ fleet: { redis: redis.url } }) }), proxy);
    expect(await hostsSeen(proxy)).toEqual([hostname()]);
  });
});
