import { sessionChange } from './classify.js';
import { type Command, type Connection, isDead } from './mysql2.js';
import { type GiveUpReason, isTransient } from './transient.js';

/** Where a command waits for the connection that carries its session on: run it there, or fail it. */
export interface Delivery {
  deliver(connection: Connection): void;
  fail(error: unknown): void;
}

/** A fresh connection on its way: deliveries wait here, in the order they came. */
class Pending {
  readonly queue: Delivery[] = [];
}

const kSession = Symbol('bulwark.mysql.session');
const kReplay = Symbol('bulwark.mysql.replay');
const kEnded = Symbol.for('bulwark.mysql.ended');

/** A statement the session sent itself to give a fresh connection the caller's state (never retried on its own). */
export function isReplay(command: Command): boolean {
  return (command as unknown as Record<symbol, boolean>)[kReplay] === true;
}
type WithSession = Connection & { [kSession]?: Session };

const revived = new WeakSet<Connection>();

/** The session a connection carries (made on first use). */
export function sessionOf(connection: Connection): Session {
  return ((connection as WithSession)[kSession] ??= new Session(connection));
}

/** The session of `connection` if it has one yet (no allocation). */
export function existingSession(connection: Connection): Session | undefined {
  return (connection as WithSession)[kSession];
}

/**
 * One MySQL session as the caller sees it: the caller's connection and, once it died under a
 * statement that may be sent again, the fresh connection that carries on for it. Follows the
 * state the caller set up (a transaction, replayable `SET`s, state that cannot be carried over).
 * Everything routed here reaches the fresh connection in the order it was routed.
 */
export class Session {
  #transaction = false;
  #stuck = false;
  readonly #replay = new Map<string, string>();
  #current: Connection | Pending;
  #forward: ((error: unknown) => void) | undefined;

  constructor(public owner: Connection) {
    this.#current = owner;
  }

  /** Follows what `sql`, issued on this session now, does to its state. */
  track(sql: string): void {
    const change = sessionChange(sql);
    if (!change) return;
    if (change.effect === 'begin') this.#transaction = true;
    else if (change.effect === 'end') this.#transaction = false;
    else if (change.effect === 'session') this.#stuck = true;
    else if (change.effect === 'replay') {
      this.#replay.delete(change.key); // the latest SET of a name is the one to replay, in its place
      this.#replay.set(change.key, sql);
    }
  }

  /** State that ties the session to its connection: a fresh one could not carry on for it. */
  pin(): void {
    this.#stuck = true;
  }

  /** Why no statement of this session may move to a fresh connection, if it may not. */
  pinned(): GiveUpReason | undefined {
    return this.#transaction || this.#stuck ? 'in-transaction' : undefined;
  }

  /** The live connection carrying the session for `dead`, if one already took over. */
  takenOver(dead: Connection): Connection | Pending | undefined {
    const current = this.#current;
    if (current === dead) return undefined;
    return current instanceof Pending || !isDead(current) ? current : undefined;
  }

  /**
   * Hands `delivery` to the connection that carries the session on: the one already taking over,
   * or a fresh one opened after `delayMs` (from the pool of `dead`, or a new connection with its config).
   */
  route(dead: Connection, delivery: Delivery, delayMs: number): void {
    const current = this.takenOver(dead);
    if (current === undefined) this.#renew(dead, delayMs).queue.push(delivery);
    else if (current instanceof Pending) current.queue.push(delivery);
    else delivery.deliver(current);
  }

  /** The caller gave its connection back: the fresh one goes back to the pool in its place. */
  released(owner: Connection): Connection | undefined {
    const current = this.#current;
    if (current === owner || current instanceof Pending) return undefined;
    if (this.#forward) current.removeListener('error', this.#forward);
    this.#forward = undefined;
    this.owner = current; // the fresh connection carries this session from now on
    return current;
  }

  /** The connection carrying the session for `owner`, when it is not `owner` itself. */
  carrier(owner: Connection): Connection | undefined {
    const current = this.#current;
    return current === owner || current instanceof Pending ? undefined : current;
  }

  /**
   * A Pending that opens the fresh connection later: after `delayMs`, and never before the caller
   * (`route`, the rest of `lost`) has queued what goes on it; with no delay, once mysql2 has told
   * the statements that stay of the loss, as it would be after a delay.
   */
  #renew(dead: Connection, delayMs: number): Pending {
    const pending = new Pending();
    this.#current = pending;
    const open = () => this.#open(dead, pending);
    if (delayMs > 0) setTimeout(open, delayMs);
    else queueMicrotask(open);
    return pending;
  }

  #open(dead: Connection, pending: Pending): void {
    const pool = dead._pool !== undefined ? dead.config.pool : undefined;
    if (pool) {
      pool.getConnection((error, fresh) => (error ? this.#failed(dead, pending, error) : this.#attach(fresh, pending)));
      return;
    }
    const Connection = dead.constructor as new (options: { config: unknown }) => Connection;
    const fresh = new Connection({ config: dead.config });
    fresh.once('connect', () => this.#revive(fresh));
    this.#attach(fresh, pending);
  }

  /**
   * The caller's own (not pooled) connection looks as live as the fresh one carrying its session:
   * a client that checks mysql2's fields before reuse (Sequelize, Knex) keeps it and ends it, and
   * its end reaches the fresh one. Its socket is the fresh one's from now on; its own is closed.
   * A later fatal error of the fresh one shows on it again, as mysql2 would show it.
   */
  #revive(fresh: Connection): void {
    const owner = this.owner;
    owner.threadId = fresh.threadId;
    if ((owner as unknown as Record<symbol, unknown>)[kEnded] || this.#current !== fresh) return;
    owner.stream = fresh.stream;
    // What it is given goes to the fresh connection (mysql2 sets the same after a fatal error).
    owner.addCommand = owner._addCommandClosedState;
    // Its state is the state of the connection whose socket it has: when that one dies too, it shows how.
    if (!revived.has(owner)) {
      revived.add(owner);
      for (const key of ['_fatalError', '_protocolError', '_closing'] as const) {
        let own: unknown = key === '_closing' ? false : null;
        Object.defineProperty(owner, key, {
          configurable: true,
          enumerable: true,
          get: () => {
            const current = this.#current;
            return current instanceof Pending || current === owner || current.stream !== owner.stream ? own : current[key];
          },
          set: (value: unknown) => (own = value),
        });
      }
    }
  }

  #attach(fresh: Connection, pending: Pending): void {
    (fresh as WithSession)[kSession] = this;
    this.#current = fresh;
    if (fresh.threadId !== null) this.owner.threadId = fresh.threadId;
    // The caller listens on its own connection: a later death of the fresh one reaches it there.
    const owner = this.owner;
    this.#forward = (error) => {
      if (owner.listenerCount('error') > 0) owner.emit('error', error);
    };
    fresh.on('error', this.#forward);
    for (const sql of [...this.#replay.values()]) fresh.addCommand(this.#replayCommand(fresh, sql));
    for (const delivery of pending.queue) delivery.deliver(fresh);
  }

  /** mysql2's own Query for an already formatted statement that set the session's state. */
  #replayCommand(fresh: Connection, sql: string): Command {
    const { createQuery } = fresh.constructor as unknown as {
      createQuery(sql: string, values: unknown, cb: (error: unknown) => void, config: unknown): Command;
    };
    const command = createQuery(
      sql,
      undefined,
      (error) => {
        // Lost with its connection: the next fresh connection replays it again, within the attempts of what waits behind it.
        if (!error || isTransient(error)) return;
        // The fresh session lacks state the caller set: nothing may run on it as if it had it.
        this.#stuck = true;
        fresh.stream.destroy();
      },
      fresh.config,
    );
    (command as unknown as Record<symbol, boolean>)[kReplay] = true;
    return command;
  }

  #failed(dead: Connection, pending: Pending, error: unknown): void {
    this.#current = dead;
    for (const delivery of pending.queue) delivery.fail(error);
  }
}
