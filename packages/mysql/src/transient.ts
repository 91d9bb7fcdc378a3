import { type GiveUpFacts, addGiveUpFacts, isBulwarkError } from '@bulwark/core';

/** Why a failed statement was not retried (`err.bulwark.reason`). */
export type GiveUpReason =
  'write-in-doubt' | 'in-transaction' | 'rows-delivered' | 'closed-on-first-statement' | 'attempts-exhausted' | 'not-transient';

/** What `err.bulwark` holds on a failure the guard let through: core's one shape. */
export type BulwarkFacts = GiveUpFacts<GiveUpReason>;

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

/** True when the server closed the connection in order (a FIN, no error packet, no reset). */
export function closedInOrder(error: unknown): boolean {
  return (error as MysqlError | undefined)?.code === 'PROTOCOL_CONNECTION_LOST';
}

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

/** Adds the guard's facts to mysql2's own error and returns it. */
export function withFacts<E>(error: E, facts: BulwarkFacts): E {
  return addGiveUpFacts(error, facts);
}
