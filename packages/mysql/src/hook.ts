import { processGlobal, publish } from '@bulwark/core';
import { type Command, type Connection, type Pool, isPrepare, isStatement, usesPreparedHandle } from './mysql2.js';
import type { Policy, WrapOptions } from './options.js';
import { resolvePolicy } from './options.js';
import { cancelRetry, firstError, giveUpFacts, markNextError, prepareRetry, stamp, verdict } from './retry.js';
import { type Delivery, existingSession, isReplay, sessionOf } from './session.js';
import { connectWithRetries, gatedConnection, settleTicket } from './pool-hook.js';
import { isTransient, withFacts } from './transient.js';

/** A pool or connection config carrying this symbol follows that policy (set by `createPool`, `wrapPool`, ...). */
export const kPolicy = Symbol.for('bulwark.mysql.policy');
const kPoolPolicy = Symbol.for('bulwark.mysql.pool-policy');
const kEnded = Symbol.for('bulwark.mysql.ended');
const kGate = Symbol.for('bulwark.mysql.gate');
const kUnpatched = Symbol('bulwark.mysql.unpatched');

/** What the flag (`instrumentMysql2`) applies to every pool and connection without a policy of its own. */
export const flag = processGlobal('mysql.flag', () => ({
  options: undefined as WrapOptions | undefined,
  policy: undefined as Policy | undefined,
}));

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a method of any mysql2 class, called with its own `this`
type Method = (this: any, ...args: any[]) => unknown;
type Marked = Record<PropertyKey, unknown>;

/** The policy of a connection: its own (through its config) or the flag's. */
function policyOf(connection: Connection): Policy | undefined {
  return (connection.config[kPolicy] as Policy | undefined) ?? flag.policy;
}

/** The policy of a pool, with the resource for its host:port; the flag's is made on first use. */
export function poolPolicy(pool: Pool): Policy | undefined {
  const own = pool.config.connectionConfig[kPolicy] as Policy | undefined;
  if (own || !flag.options) return own;
  const marked = pool as unknown as Marked;
  return (marked[kPoolPolicy] ??= resolvePolicy(flag.options, pool.config.connectionConfig)) as Policy;
}

// -- the patch, counted per prototype so the flag and createPool can share a mysql2 copy --

// One entry per patched method of a prototype, shared by every copy of this package in the process.
const installs = processGlobal('mysql.installs', () => new Map<object, Map<string, { count: number; original: Method; hooked: Method }>>());

/** Replaces `make`'s methods on the prototype owning each one (counted, so the last undo restores it). */
function patch(proto: object, make: Record<string, (original: Method) => Method>): () => void {
  const undos: Array<() => void> = [];
  for (const [name, hook] of Object.entries(make)) {
    const owner = ownerOf(proto, name) as Marked | undefined;
    if (!owner) continue;
    let byName = installs.get(owner);
    if (!byName) installs.set(owner, (byName = new Map()));
    const entry = byName.get(name);
    if (entry) entry.count++;
    else {
      const original = owner[name] as Method;
      const hooked = hook(original);
      owner[name] = hooked;
      byName.set(name, { count: 1, original, hooked });
    }
    const methods = byName;
    undos.push(() => {
      const e = methods.get(name);
      if (!e || --e.count > 0) return;
      methods.delete(name);
      if (owner[name] === e.hooked) owner[name] = e.original;
    });
  }
  return once(() => undos.forEach((undo) => undo()));
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}

function ownerOf(proto: object | null, name: string): object | undefined {
  for (let p = proto; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) if (Object.hasOwn(p, name)) return p;
  return undefined;
}

/** What kind of mysql2 class `value` is, if any (mysql2 3.x: BaseConnection, PoolConnection, BasePool). */
export function mysql2Class(value: unknown): 'connection' | 'pool-connection' | 'pool' | undefined {
  if (typeof value !== 'function') return undefined;
  const proto = (value as { prototype?: Record<string, unknown> }).prototype;
  if (!proto || typeof proto !== 'object') return undefined;
  if (typeof proto._removeFromPool === 'function' && typeof proto.release === 'function') return 'pool-connection';
  if (typeof proto._notifyError === 'function' && typeof proto._addCommandClosedState === 'function') return 'connection';
  if (typeof proto.releaseConnection === 'function' && typeof proto._removeConnection === 'function') return 'pool';
  return undefined;
}

/** Hooks one mysql2 class; returns the undo. */
export function hookClass(value: { prototype: object }, kind: 'connection' | 'pool-connection' | 'pool'): () => void {
  if (kind === 'connection') return patch(value.prototype, connectionHooks);
  if (kind === 'pool-connection') return patch(value.prototype, poolConnectionHooks);
  return patch(value.prototype, poolHooks);
}

// -- the connection: where statements are queued, and where a lost connection reaches them --

const connectionHooks: Record<string, (original: Method) => Method> = {
  addCommand: (original) =>
    function addCommand(this: Connection, command: Command) {
      const policy = policyOf(this);
      if (policy === undefined || !isStatement(command)) return original.call(this, command as never);
      // A pooled connection whose socket is gone but whose close mysql2 has not seen: nothing is sent on it.
      if (this._pool && this.stream.destroyed && !this._fatalError) {
        publish('mysql', 'dead-connection', { threadId: this.threadId ?? 0 });
        return routeClosed(this, command, policy, (c) => (original as (c: Command) => Command).call(this, c));
      }
      const opening = existingSession(this) === undefined;
      const session = sessionOf(this);
      stamp(command, session.pinned(), opening);
      if (usesPreparedHandle(command)) session.pin();
      session.track(command.sql ?? '');
      return original.call(this, command as never);
    },
  _addCommandClosedState: (original) =>
    function addCommandClosedState(this: Connection, command: Command) {
      const policy = policyOf(this);
      if (policy === undefined) return original.call(this, command as never);
      return routeClosed(this, command, policy, (c) => (original as (c: Command) => unknown).call(this, c));
    },
  _notifyError: (original) =>
    function notifyError(this: Connection, error: unknown) {
      settleTicket(this, error);
      const policy = policyOf(this);
      if (policy === undefined || this._fatalError || !isTransient(error)) return original.call(this, error as never);
      return lost(this, error, policy, (e) => original.call(this, e as never));
    },
  prepare: (original) =>
    function prepare(this: Connection, ...args: unknown[]) {
      // A statement the caller prepared lives on this connection only.
      if (policyOf(this)) sessionOf(this).pin();
      return original.apply(this, args as never[]);
    },
  end: (original) =>
    function end(this: Connection, ...args: unknown[]) {
      (this as unknown as Marked)[kEnded] = true;
      return original.apply(this, args as never[]);
    },
  destroy: (original) =>
    function destroy(this: Connection) {
      (this as unknown as Marked)[kEnded] = true;
      settleTicket(this);
      existingSession(this)?.carrier(this)?.destroy();
      return original.call(this);
    },
};

const poolConnectionHooks: Record<string, (original: Method) => Method> = {
  release: (original) =>
    function release(this: Connection) {
      settleTicket(this);
      existingSession(this)?.released(this)?.release?.();
      return original.call(this);
    },
};

/**
 * A command added to a connection that is closed. When another connection already carries the
 * session on, it goes there; when the connection died (not ended by the caller) and the session
 * has nothing a fresh connection would lack, a fresh one carries on: the command was never sent.
 */
function routeClosed(connection: Connection, command: Command, policy: Policy, refuse: (command: Command) => unknown): unknown {
  const session = sessionOf(connection);
  const refuseWithFacts = () => {
    const reason = session.pinned();
    if (reason && isStatement(command)) markNextError(command, giveUpFacts(command, undefined, reason));
    return refuse(command);
  };
  // A connection mysql2 already declared dead refuses as mysql2 does; one whose socket died before
  // mysql2 noticed (a pooled one, checked in addCommand) sends on a fresh connection instead.
  const unnoticed =
    !(connection as unknown as Marked)[kEnded] && !connection._fatalError && !connection._protocolError && connection.stream.destroyed;
  const movable =
    session.takenOver(connection) !== undefined || (unnoticed && policy.retry && !session.pinned() && !usesPreparedHandle(command));
  if (!movable) return refuseWithFacts();
  if (isStatement(command)) stamp(command, session.pinned(), false);
  session.route(connection, { deliver: (fresh) => fresh.addCommand(command), fail: () => refuse(command) }, 0);
  return command;
}

/**
 * mysql2 is about to tell every queued command that the connection was lost. Each statement that
 * may be sent again leaves the queue for a fresh connection carrying the session, in order; the
 * rest are told as mysql2 tells them, with `err.bulwark` on the error. mysql2's own bubbling of
 * the error to the connection is kept as it would have been.
 */
function lost(connection: Connection, error: unknown, policy: Policy, notify: (error: unknown) => void): void {
  const session = sessionOf(connection);
  const active = connection._command ?? undefined;
  const queued: Command[] = [];
  for (let c = connection._commands.shift(); c; c = connection._commands.shift()) queued.push(c);
  const all = active ? [active, ...queued] : queued;
  const bubbled = bubbles(active, queued);
  const retry = new Set<Command>();
  const silent: Array<[Command, ReturnType<typeof giveUpFacts>]> = [];
  for (const command of all) {
    if (!isStatement(command) || isReplay(command)) continue;
    const reason = verdict(command, error, policy);
    if (reason === undefined) retry.add(command);
    else {
      const facts = giveUpFacts(command, error, reason);
      if (command.onResult) markNextError(command, facts);
      else silent.push([command, facts]);
    }
  }
  // mysql2's execute() queues a Prepare whose callback answers for the Execute after it.
  const drop = (c: Command, i: number) => retry.has(c) || (isPrepare(c) && all[i + 1] !== undefined && retry.has(all[i + 1]!));
  const keep = all.filter((c, i) => !drop(c, i));
  const keptActive = active && keep[0] === active ? active : undefined;
  connection._command = keptActive ?? (active ? ({ onResult: () => {} } as unknown as Command) : null);
  for (const c of keptActive ? keep.slice(1) : keep) connection._commands.push(c);
  const nowBubbles = bubbles(connection._command ?? undefined, keptActive ? keep.slice(1) : keep);
  // Placeholders mysql2's loop skips over, so that it bubbles the error exactly when it would have.
  if (bubbled && !nowBubbles) connection._commands.push({} as Command);
  if (!bubbled && nowBubbles) connection._commands.push({ onResult: () => {} } as unknown as Command);
  let delayMs: number | undefined;
  for (const command of all) {
    if (!retry.has(command)) continue;
    const wait = prepareRetry(command, error, policy);
    delayMs ??= wait;
    session.route(connection, retryDelivery(command, error, connection), delayMs);
  }
  notify(error);
  // mysql2 leaves a streaming command without news of a lost connection; its listeners get the error.
  for (const [command, facts] of silent) {
    if (command.listenerCount('error') === 0) continue;
    command.emit('error', withFacts(firstError(command) ?? error, facts));
    command.emit('end');
  }
}

/** Whether mysql2's _notifyError would emit the error on the connection (besides a pool's). */
function bubbles(active: Command | undefined, queued: Command[]): boolean {
  if (!active) return true;
  const handshake = 'clientFlags' in active && 'handshake' in active;
  if (!active.onResult && !(handshake && queued.length > 0)) return true;
  return queued.some((c) => !c.onResult);
}

/** Adds a retried statement to the fresh connection (an Execute prepared there first), or gives it up. */
function retryDelivery(command: Command, error: unknown, from: Connection): Delivery {
  const prepare = ownerPrepare(from);
  return {
    deliver(fresh) {
      if (command._executeOptions) prepareAgain(fresh, command, prepare);
      fresh.addCommand(command);
    },
    fail() {
      // The fresh connection could not be had: the caller gets the error its statement met.
      cancelRetry(command);
      const given = firstError(command) ?? error;
      withFacts(given, giveUpFacts(command, given, 'attempts-exhausted'));
      if (command.onResult) command.onResult(given);
      else if (command.listenerCount('error') > 0) {
        command.emit('error', given);
        command.emit('end');
      }
    },
  };
}

/** mysql2's own `prepare`, unpatched (a statement prepared for a retry does not pin the session). */
function ownerPrepare(connection: Connection): Method {
  const owner = ownerOf(Object.getPrototypeOf(connection) as object, 'prepare') as Marked;
  const hooked = owner.prepare as Method & { [kUnpatched]?: Method };
  return hooked[kUnpatched] ?? hooked;
}

/** What mysql2's execute() does: a Prepare whose callback hands the statement to the Execute. */
function prepareAgain(fresh: Connection, command: Command, prepare: Method): void {
  const callback = (error: unknown, statement: unknown) => {
    if (error) {
      command.start = () => null;
      if (command.onResult) command.onResult(error);
      else command.emit('error', error);
      command.emit('end');
      return;
    }
    command.statement = statement;
  };
  (prepare as (this: Connection, options: unknown, cb: typeof callback) => unknown).call(fresh, command._executeOptions, callback);
}

// Keep the unpatched prepare reachable from the patched one.
const makePrepare = connectionHooks.prepare!;
connectionHooks.prepare = (original) => Object.assign(makePrepare(original), { [kUnpatched]: original });

// -- the pool: connections that fail to open, and the resource every pool statement goes through --

const poolHooks: Record<string, (original: Method) => Method> = {
  getConnection: (original) =>
    function getConnection(this: Pool, callback: (error: Error | null, connection: Connection) => void) {
      const policy = poolPolicy(this);
      const marked = this as unknown as Marked;
      const gated = marked[kGate] === true;
      marked[kGate] = false;
      // A free connection is handed over as it is (a dead one is found when a statement is added to it).
      if (policy === undefined || (!gated && this._freeConnections.length > 0 && !this._closed)) return original.call(this, callback);
      const open = (cb: typeof callback) => (original as (cb: typeof callback) => void).call(this, cb);
      if (gated && policy.resource) return gatedConnection(policy, (cb) => connectWithRetries(policy, open, cb), callback);
      return connectWithRetries(policy, open, callback);
    },
  query: (original) => gate(original),
  execute: (original) => gate(original),
};

/** Marks the pool's next getConnection (made synchronously inside query/execute) as one statement's. */
function gate(original: Method): Method {
  // mysql2's pool.query and pool.execute take (sql, values, cb), so the hook does too.
  return function gated(this: Pool, sql: unknown, values: unknown, cb: unknown) {
    const marked = this as unknown as Marked;
    if (!poolPolicy(this)?.resource) return original.call(this, sql, values, cb);
    marked[kGate] = true;
    try {
      return original.call(this, sql, values, cb);
    } finally {
      marked[kGate] = false;
    }
  };
}
