import mysql from 'mysql2/promise';
import { afterAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MariaDb, isAlive, sharedMariaDb, spawnNode } from '@bulwark/test-rig';

describe('private MariaDB', () => {
  it('the shared server of the run answers queries', async () => {
    const db = sharedMariaDb(inject('mariadb'));
    const conn = await mysql.createConnection(db);
    const [rows] = await conn.query('SELECT 1 + 1 AS two');
    expect(rows).toEqual([{ two: 2 }]);
    await conn.end();
  });

  describe('a private server', () => {
    let server: MariaDb;
    afterAll(async () => server?.close());

    it('starts on a free loopback port and survives a restart with its data', async () => {
      server = await MariaDb.start();
      const conn = await mysql.createConnection(server.address);
      await conn.query('CREATE TABLE kept (id INT PRIMARY KEY)');
      await conn.query('INSERT INTO kept VALUES (7)');
      await conn.end();
      const port = server.port;
      await server.restart();
      expect(server.port).toBe(port);
      const again = await mysql.createConnection(server.address);
      expect((await again.query('SELECT id FROM kept'))[0]).toEqual([{ id: 7 }]);
      await again.end();
    });

    it('kill() takes the server down at once and start() brings it back', async () => {
      const conn = await mysql.createConnection(server.address);
      await server.kill();
      expect(server.running).toBe(false);
      await expect(conn.query('SELECT 1')).rejects.toMatchObject({ fatal: true });
      await expect(mysql.createConnection(server.address)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      await server.start();
      const again = await mysql.createConnection(server.address);
      expect((await again.query('SELECT 2 AS n'))[0]).toEqual([{ n: 2 }]);
      await again.end();
    });

    it('close() stops the server and removes its temp dir', async () => {
      const pid = server.process!.pid!;
      await server.close();
      expect(existsSync(server.dir)).toBe(false);
      expect(isAlive(pid)).toBe(false);
      await server.close();
    });
  });

  it('a run killed with SIGKILL leaves no server running, and the next start removes its dir', async () => {
    // A temp root of its own: a server another test file starts meanwhile sweeps only os.tmpdir().
    const tmpRoot = mkdtempSync(join(tmpdir(), 'bulwark-rig-sweep-'));
    onTestFinished(() => rmSync(tmpRoot, { recursive: true, force: true }));
    const owner = spawnNode(fileURLToPath(new URL('./fixtures/start-mariadb.mjs', import.meta.url)), { args: [tmpRoot] });
    const { dir, pid } = JSON.parse((await owner.line(/^\{.*\}$/, 90_000))[0]) as { dir: string; pid: number };
    owner.kill('SIGKILL');
    await owner.exited;
    await expect.poll(() => isAlive(pid), { timeout: 10_000 }).toBe(false);
    expect(existsSync(dir)).toBe(true);
    const next = await MariaDb.start({ tmpRoot });
    expect(existsSync(dir)).toBe(false);
    await next.close();
  }, 180_000); // two bootstraps of a datadir, on a machine that may be busy
});
