// What every ORM test shares: the flag switched on the way an app does it, the rig's MariaDB behind
// the fault proxy, a table each test owns, and one fault load with one verdict.
import { Socket } from 'node:net';
import { expect } from 'vitest';
import type { FaultProxy, MariaDbAddress } from '@bulwark/test-rig';
// `enable` as an app imports it from `bulwark` (the package's own build, resolved by path because
// `bulwark` depends on this package and a dependency back would make a cycle).
import { enable } from '../../../bulwark/dist/index.js';
import { direct, rig } from '../helpers.js';

export { direct };

/** The facts the guard put on an error, wherever the ORM kept the driver's error. */
export interface Facts {
  readonly reason: string;
  readonly attempts: number;
  readonly retried: boolean;
}

/** How ORMs keep the driver's error: Drizzle `cause`, Sequelize `parent`/`original`, TypeORM `driverError`, MikroORM `previous`. */
const wrappers = ['cause', 'parent', 'original', 'driverError', 'previous'] as const;

/** The guard's `err.bulwark` on `error` or on the driver error an ORM wrapped in it. */
export function factsOf(error: unknown): Facts | undefined {
  const seen = new Set<unknown>();
  const queue = [error];
  while (queue.length > 0) {
    const e = queue.shift() as Record<string, unknown> | null | undefined;
    if (typeof e !== 'object' || e === null || seen.has(e)) continue;
    seen.add(e);
    if (typeof e.bulwark === 'object' && e.bulwark !== null) return e.bulwark as Facts;
    for (const key of wrappers) queue.push(e[key]);
  }
  return undefined;
}

/** The run's MariaDB and a fault proxy in front of it, with `enable({ mysql: true })` on for the file. */
export async function flagged(): Promise<{ db: MariaDbAddress; proxy: FaultProxy; connection: Connection; close: () => Promise<void> }> {
  const guards = enable({ mysql: true });
  const { db, proxy } = await rig();
  const connection = { host: proxy.host, port: proxy.port, user: db.user, password: db.password, database: db.database };
  return {
    db,
    proxy,
    connection,
    close: async () => {
      await proxy.close();
      await guards.close();
    },
  };
}

export interface Connection {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

/** `retryReads.attempts` by default. */
const defaultAttempts = 3;

/** Sockets of this process open to `port` (the proxy): the ORM's connections, and any carrying a session for one. */
export function socketsTo(port: number): number {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter((h) => h instanceof Socket && h.remotePort === port && !h.destroyed).length;
}

/** Waits (up to 10 s, polling) until no socket of this process is open to `port`; returns how many are. */
export async function settledSocketsTo(port: number): Promise<number> {
  for (let waited = 0; socketsTo(port) > 0 && waited < 10_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
  return socketsTo(port);
}

/** Ids of the rows the reads look up: far from every other number in the SQL, so a read's text is its own. */
export const readIds = Array.from({ length: 300 }, (_, i) => 100_000 + i);
/** The first and last of {@link readIds}, for reads of them all (written rows come after). */
export const [firstId, lastId] = [readIds[0]!, readIds.at(-1)!];

/**
 * A table `name (id INT PRIMARY KEY, request INT, title VARCHAR)` holding one row per read id,
 * made straight on the server.
 */
export async function ownTable(db: MariaDbAddress, name: string): Promise<void> {
  const rows = readIds.map((id) => `(${id}, NULL, 'book ${id}')`).join(', ');
  await direct(
    db,
    `DROP TABLE IF EXISTS ${name}`,
    `CREATE TABLE ${name} (id INT AUTO_INCREMENT PRIMARY KEY, request INT NULL, title VARCHAR(40) NOT NULL)`,
    `INSERT INTO ${name} (id, request, title) VALUES ${rows}`,
  );
}

export interface Load {
  /** Reads the row with this id and returns its title. */
  readonly read: (id: number) => Promise<string | undefined>;
  /** Inserts one row with this request number. */
  readonly write: (request: number) => Promise<unknown>;
  /** How many writes. @default 100 */
  readonly writes?: number;
  /**
   * Whether the proxy sees each read's SQL text (COM_QUERY), so a read that gave up can be
   * matched with the resets the proxy made to it. False for prepared statements.
   */
  readonly readTextVisible?: boolean;
}

/** How one statement ended: what a child process can print as JSON too. */
export interface Outcome {
  readonly ok: boolean;
  readonly facts?: Facts | undefined;
  readonly error?: string;
}

/** Runs `work`, checking its value with `check`, and says how it ended. */
export const settle = (work: () => Promise<unknown>, check?: (value: unknown) => void): Promise<Outcome> =>
  work().then(
    (value) => {
      check?.(value);
      return { ok: true };
    },
    (error: unknown) => ({
      ok: false,
      facts: factsOf(error),
      error: `${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`,
    }),
  );

const told = (o: Outcome) => `${o.error} (bulwark: ${JSON.stringify(o.facts)})`;

/** Arms the proxy to reset the next statement matching `match` before the answer, counting from zero. */
export function resetOnce(proxy: FaultProxy, match: RegExp): void {
  proxy.clear();
  proxy.log.length = 0;
  proxy.fault({ kind: 'reset-before-answer', count: 1, match });
}

/** Arms the proxy to reset 10% of every statement (the ORM's own too) before the answer. */
export function tenPercent(proxy: FaultProxy): void {
  proxy.clear();
  proxy.log.length = 0;
  proxy.fault({ kind: 'reset-before-answer', probability: 0.1 });
}

/**
 * 300 reads and 100 writes at once while the proxy resets 10% of all statements before the
 * answer, then {@link judge}.
 */
export async function underFaults(
  proxy: FaultProxy,
  db: MariaDbAddress,
  table: string,
  load: Load,
): Promise<{ reads: Outcome[]; writes: Outcome[] }> {
  tenPercent(proxy);
  const reading = readIds.map((id) =>
    settle(
      () => load.read(id),
      (title) => expect(title).toBe(`book ${id}`),
    ),
  );
  const writing = Array.from({ length: load.writes ?? 100 }, (_, request) => settle(() => load.write(request)));
  const [reads, writes] = await Promise.all([Promise.all(reading), Promise.all(writing)]);
  proxy.clear();
  await judge(proxy, db, table, reads, writes, load.readTextVisible ?? false);
  return { reads, writes };
}

/**
 * The verdict on a fault load (reads of {@link readIds} in order, writes by request number):
 * - no read fails, except one whose every attempt was reset, and it says `attempts-exhausted`;
 * - no write runs twice (rows per request in the table);
 * - a write that succeeded is stored, and every failed write carries the guard's reason.
 */
export async function judge(
  proxy: FaultProxy,
  db: MariaDbAddress,
  table: string,
  reads: readonly Outcome[],
  writes: readonly Outcome[],
  readTextVisible: boolean,
): Promise<void> {
  expect(proxy.fired('reset-before-answer')).toBeGreaterThan(10);
  reads.forEach((o, i) => {
    if (o.ok) return;
    const id = readIds[i]!;
    expect(o.facts?.reason, `read ${id}: ${told(o)}`).toBe('attempts-exhausted');
    // Every attempt failed, and resets are the only fault: each one died on a reset connection
    // (its own statement reset, or one queued before it on the same connection).
    expect(o.facts?.attempts, `read ${id} gave up before its last attempt`).toBe(defaultAttempts);
    if (readTextVisible)
      expect(
        proxy.log.filter((r) => r.sql?.includes(String(id))).length,
        `read ${id} gave up with none of its own sends reset`,
      ).toBeGreaterThan(0);
  });
  const [stored] = (await direct(db, `SELECT request, COUNT(*) AS n FROM ${table} WHERE request IS NOT NULL GROUP BY request`)) as [
    Array<{ request: number; n: number }>,
  ];
  expect(
    stored.filter((r) => r.n > 1),
    'writes stored twice',
  ).toEqual([]);
  const storedRequests = new Set(stored.map((r) => r.request));
  writes.forEach((o, request) => {
    if (o.ok) return expect(storedRequests.has(request), `write ${request} succeeded but is not stored`).toBe(true);
    expect(['write-in-doubt', 'attempts-exhausted', 'in-transaction'], `write ${request}: ${told(o)}`).toContain(o.facts?.reason);
    if (o.facts?.reason === 'attempts-exhausted')
      expect(storedRequests.has(request), `write ${request} gave up unsent but is stored`).toBe(false);
  });
}
