import mysql from 'mysql2/promise';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { MariaDb, sharedMariaDb } from '@bulwark/test-rig';

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
      const { existsSync } = await import('node:fs');
      const pid = server.process!.pid!;
      await server.close();
      expect(existsSync(server.dir)).toBe(false);
      expect(() => process.kill(pid, 0)).toThrow();
      await server.close();
    });
  });
});
