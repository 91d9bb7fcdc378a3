import { publish } from '@bulwark/core';
import { sessionEffect } from './classify.js';
import type { ServerConfig } from './options.js';
import { type GiveUpReason, isDead } from './transient.js';

/** A mysql2 callback-API connection, as far as the wrapper needs it. */
export interface CoreConnection {
  query(...args: unknown[]): unknown;
  execute(...args: unknown[]): unknown;
  destroy(): void;
  release?(): void;
  threadId?: number | null;
}

/** A mysql2 callback-API pool, as far as the wrapper needs it. */
export interface CorePool {
  getConnection(callback: (error: Error | null, connection: CoreConnection) => void): void;
  config: { connectionConfig: ServerConfig };
}

/** Where attempts run: a pool hands out fresh connections, a held connection has one session. */
export interface Channel {
  /** A live connection; throwing means the request never left the client. */
  acquire(): Promise<CoreConnection>;
  /** Gives a connection back after an attempt; `failed` when it died. */
  done(connection: CoreConnection, failed: boolean): void;
  /** Why this channel must not send a statement again (a transaction or session state). */
  pinned(): GiveUpReason | undefined;
  /** Follows the session state a statement sets up, before it is sent (held connections only). */
  track?(sql: string): void;
}

// More dead connections than this in a row means something else is wrong: let the error show.
const maxDeadInARow = 32;

/** A live connection from `pool`; dead ones the pool still holds are dropped (nothing was sent on them). */
export async function acquireLive(pool: CorePool): Promise<CoreConnection> {
  for (let dropped = 0; ; dropped++) {
    const connection = await new Promise<CoreConnection>((resolve, reject) =>
      pool.getConnection((error, c) => (error ? reject(error) : resolve(c))),
    );
    if (!isDead(connection) || dropped >= maxDeadInARow) return connection;
    publish('mysql', 'dead-connection', { threadId: connection.threadId ?? 0 });
    connection.destroy();
  }
}

/** Each attempt takes a connection from the pool: a retry runs on a fresh one. */
export function poolChannel(pool: CorePool): Channel {
  return {
    acquire: () => acquireLive(pool),
    done: (connection, failed) => (failed ? connection.destroy() : connection.release?.()),
    pinned: () => undefined,
  };
}

/**
 * A connection the caller holds. A read is retried on a fresh connection only while the session
 * has no state to lose; a transaction, `SET`, `USE`, a temporary table or a lock pins it.
 */
export class HeldChannel implements Channel {
  #inTransaction = false;
  #session = false;

  constructor(
    public current: CoreConnection,
    readonly renew: () => Promise<CoreConnection>,
    readonly swapped: (fresh: CoreConnection) => void,
  ) {}

  async acquire(): Promise<CoreConnection> {
    if (!isDead(this.current) || this.pinned()) return this.current;
    const fresh = await this.renew();
    this.current = fresh;
    this.swapped(fresh);
    return fresh;
  }

  done(): void {}

  pinned(): GiveUpReason | undefined {
    return this.#inTransaction || this.#session ? 'in-transaction' : undefined;
  }

  /** Follows the session state a statement sets up (called before it is sent). */
  track(sql: string): void {
    const effect = sessionEffect(sql);
    if (effect === 'begin') this.#inTransaction = true;
    else if (effect === 'end') this.#inTransaction = false;
    else if (effect === 'session') this.#session = true;
  }

  begin(): void {
    this.#inTransaction = true;
  }
  end(): void {
    this.#inTransaction = false;
  }
}
