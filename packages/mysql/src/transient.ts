import { isBulwarkError } from '@bulwark/core';

/** Why a failed statement was not retried (`err.bulwark.reason`). */
export type GiveUpReason = 'write-in-doubt' | 'in-transaction' | 'rows-delivered' | 'attempts-exhausted' | 'not-transient';

/** What `err.bulwark` holds on a failure the wrapper let through. */
export interface BulwarkFacts {
  /** Attempts made, the failed one included. */
  readonly attempts: number;
  /** Whether the statement was sent again at least once. */
  readonly retried: boolean;
  readonly reason: GiveUpReason;
}

export interface MysqlError extends Error {
  code?: string;
  errno?: number;
  fatal?: boolean;
  bulwark?: BulwarkFacts;
}

// The connection (or the server behind it) went away; the statement itself was not at fault.
const lostCodes = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'ECONNRESET',
  'EPIPE',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_WRITE_AFTER_END',
  'ER_SERVER_SHUTDOWN',
  'ER_CONNECTION_KILLED',
  'ER_CON_COUNT_ERROR',
  'ER_NEW_ABORTING_CONNECTION',
  'ER_CLIENT_INTERACTION_TIMEOUT',
]);
const closedState = /^Can't (add new command|write) (when connection is )?in closed state/;

/** True when `error` says the connection died, so the statement may be sent again elsewhere. */
export function isTransient(error: unknown): boolean {
  const e = error as MysqlError | undefined;
  if (!e || typeof e !== 'object') return false;
  if (isBulwarkError(e)) return false; // a guard's answer (a shed request, an open circuit), not a lost connection
  if (e.code && lostCodes.has(e.code)) return true;
  return closedState.test(e.message ?? '');
}

/**
 * True when `error` proves the request never reached the server: mysql2 refused to queue it on a
 * closed connection, or the socket refused the write (a partial packet is never executed).
 */
export function neverSent(error: unknown): boolean {
  const e = error as MysqlError;
  if (closedState.test(e.message ?? '')) return true;
  return e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED' || e.code === 'ERR_STREAM_WRITE_AFTER_END';
}

interface CoreConnectionState {
  _fatalError?: unknown;
  _protocolError?: unknown;
  _closing?: boolean;
  stream?: { destroyed?: boolean; readableEnded?: boolean; writable?: boolean };
}

/** True when a connection the pool handed out is already dead: sending on it would fail. */
export function isDead(connection: object): boolean {
  const c = connection as CoreConnectionState;
  const stream = c.stream;
  return Boolean(c._fatalError || c._protocolError || c._closing || !stream || stream.destroyed || stream.readableEnded || stream.writable === false);
}

/** Adds the wrapper's facts to mysql2's own error and returns it. */
export function giveUp(error: unknown, facts: BulwarkFacts): never {
  if (error && typeof error === 'object') (error as MysqlError).bulwark = facts;
  throw error;
}
