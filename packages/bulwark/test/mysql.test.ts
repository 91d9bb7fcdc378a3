import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type FaultProxy, sharedMariaDb, spawnNode, startFaultProxy } from '@bulwark/test-rig';
import { enable } from '../dist/index.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const require = createRequire(import.meta.url);
// `bulwark/register` resolves from the package itself (a self-reference), as from an app that installed it.
const packageDir = fileURLToPath(new URL('..', import.meta.url));
let proxy: FaultProxy;

beforeAll(async () => {
  proxy = await startFaultProxy(sharedMariaDb(inject('mariadb')));
});
afterAll(async () => proxy?.close());

async function run(script: string, env: Record<string, string>, execArgv: string[]): Promise<string> {
  proxy.clear().fault({ kind: 'reset-before-answer', count: 1, match: /^SELECT 42/ });
  const child = spawnNode(fixture(script), { env: { DB_PORT: String(proxy.port), ...env }, execArgv, cwd: packageDir });
  const exit = await child.exited;
  expect(exit.code, child.stderr).toBe(0);
  expect(proxy.fired('reset-before-answer')).toBeGreaterThanOrEqual(1);
  proxy.log.length = 0;
  return child.stdout.trim();
}

describe('the mysql flag', () => {
  it.each([
    ['mysql-esm-promise.mjs', '--import'],
    ['mysql-esm-callback.mjs', '--import'],
    ['mysql-cjs-promise.cjs', '-r'],
    ['mysql-cjs-callback.cjs', '-r'],
  ])('BULWARK_MYSQL=1 node %s bulwark/register: the read survives a reset before the answer', async (script, flag) => {
    expect(await run(script, {}, [])).toMatch(/^failed (ECONNRESET|PROTOCOL_CONNECTION_LOST)$/);
    expect(await run(script, { BULWARK_MYSQL: '1' }, [flag, 'bulwark/register'])).toBe('ok 42');
  });

  it('takes JSON options from BULWARK_MYSQL and rejects bad ones naming them', async () => {
    expect(await run('mysql-esm-promise.mjs', { BULWARK_MYSQL: '{"retryReads":{"attempts":2}}' }, ['--import', 'bulwark/register'])).toBe(
      'ok 42',
    );
    const child = spawnNode(fixture('mysql-esm-promise.mjs'), {
      env: { DB_PORT: String(proxy.port), BULWARK_MYSQL: '{"retryReads":{"attempts":0}}' },
      execArgv: ['--import', 'bulwark/register'],
      cwd: packageDir,
    });
    expect((await child.exited).code).not.toBe(0);
    expect(child.stderr).toMatch(/retryReads.attempts must be an integer from 1 to 1000, got 0/);
  });

  it("enable({ mysql: true }) hooks mysql2's own classes in this process and close() undoes it", async () => {
    const mysql = require('mysql2/promise') as typeof import('mysql2/promise');
    const { Connection } = require('mysql2') as { Connection: { prototype: { addCommand: unknown } } };
    const raw = mysql.createPool;
    const addCommand = Connection.prototype.addCommand;
    const guards = enable({ mysql: true });
    expect(mysql.createPool).toBe(raw); // mysql2's factories and objects stay its own
    expect(Connection.prototype.addCommand).not.toBe(addCommand);
    const pool = mysql.createPool({ host: proxy.host, port: proxy.port, user: 'root', database: 'bulwark' });
    proxy.clear().fault({ kind: 'reset-before-answer', count: 1, match: /^SELECT 43/ });
    expect((await pool.query('SELECT 43 AS n'))[0]).toEqual([{ n: 43 }]);
    await pool.end();
    await guards.close();
    await guards.close();
    expect(Connection.prototype.addCommand).toBe(addCommand);
    expect(() => enable({ mysql: { retryReads: { attempts: -1 } } })).toThrow(/retryReads.attempts/);
  });

  it('adds no listener, timer or handle, and can be enabled again after close()', async () => {
    const listeners = ['exit', 'SIGINT', 'SIGTERM', 'uncaughtException'].map((e) => process.listenerCount(e));
    const resources = process.getActiveResourcesInfo().length;
    const first = enable({ mysql: true });
    expect(() => enable({ mysql: true })).toThrow(/already instrumented/);
    await first.close();
    const again = enable({ mysql: true });
    await again.close();
    expect(['exit', 'SIGINT', 'SIGTERM', 'uncaughtException'].map((e) => process.listenerCount(e))).toEqual(listeners);
    expect(process.getActiveResourcesInfo().length).toBe(resources);
  });
});
