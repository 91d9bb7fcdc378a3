import type { EventEmitter } from 'node:events';

/**
 * The parts of mysql2's own classes the guard works with: its command objects and their queue on
 * the connection (lib/base/connection.js, lib/commands/*.js, lib/base/pool.js in mysql2 3.x).
 */
export interface Command extends EventEmitter {
  /** mysql2's callback; absent for a streaming (event) command. */
  onResult?: ((error: unknown, ...results: unknown[]) => void) | undefined;
  /** The next state; `null` until the command started (its request was written). */
  next: unknown;
  sql?: string;
  timeout?: number;
  queryTimeout?: NodeJS.Timeout | null;
  start?: unknown;
  statement?: unknown;
  /** Query's options (mysql2 keeps them whole, so a caller's `idempotent` mark is here). */
  _queryOptions?: Record<string, unknown>;
  /** Execute's options. */
  _executeOptions?: Record<string, unknown>;
  _fields?: unknown[];
}

/** mysql2's ring queue. */
export interface Queue<T> {
  readonly length: number;
  push(item: T): void;
  shift(): T | undefined;
}

export interface ConnectionConfig extends Record<PropertyKey, unknown> {
  host?: string;
  port?: number;
  socketPath?: string;
  pool?: Pool;
}

export interface Connection extends EventEmitter {
  config: ConnectionConfig;
  threadId: number | null;
  stream: { destroyed?: boolean; destroy(): void };
  _command: Command | null | undefined;
  _commands: Queue<Command>;
  _fatalError: unknown;
  _protocolError: unknown;
  _closing?: boolean;
  /** Set on a pool's connection while the pool holds it. */
  _pool?: Pool | null;
  addCommand(command: Command): Command;
  _addCommandClosedState(command: Command): Command;
  release?(): void;
  destroy(): void;
}

export interface Pool extends EventEmitter {
  config: { connectionConfig: ConnectionConfig };
  getConnection(callback: (error: Error | null, connection: Connection) => void): void;
  _closed?: boolean;
  /** The connections waiting in the pool for a caller. */
  _freeConnections: { readonly length: number };
}

/** A Query or an Execute: the commands that carry SQL. */
export function isStatement(command: Command): boolean {
  return command._queryOptions !== undefined || command._executeOptions !== undefined;
}

/** An Execute whose statement the caller prepared with `prepare()`: its id lives on one connection only. */
export function usesPreparedHandle(command: Command): boolean {
  return command._executeOptions?.statement !== undefined;
}

/** mysql2's Prepare command (duck-typed: its constructor keeps the options and a parameter list). */
export function isPrepare(command: Command | undefined): boolean {
  return command !== undefined && Array.isArray((command as { parameterDefinitions?: unknown }).parameterDefinitions);
}

/** True when mysql2 already knows the connection is gone, or its socket is. */
export function isDead(connection: Connection): boolean {
  return Boolean(connection._fatalError || connection._protocolError || connection._closing || connection.stream?.destroyed);
}
