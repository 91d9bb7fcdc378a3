import { delay, publish } from '@bulwark/core';
import type { Channel, CoreConnection } from './channel.js';
import type { Policy, RetryInfo } from './options.js';
import type { Statement } from './statement.js';
import { type BulwarkFacts, type GiveUpReason, type MysqlError, giveUp, isTransient, neverSent } from './transient.js';

/** Marks a failure with whether the request reached the server. */
export class AttemptError {
  constructor(
    readonly error: MysqlError,
    readonly sent: boolean,
  ) {}

  /** A connection lost under a request: sent, unless the error proves it never left the client. */
  static lost(error: MysqlError): AttemptError {
    return new AttemptError(error, !neverSent(error));
  }
}

/** Sends `statement` once on `connection`; resolves with mysql2's `[rows, fields]`. */
function send(connection: CoreConnection, statement: Statement, remainingMs: number): Promise<[unknown, unknown]> {
  let request = statement.request;
  // PEP 475: a caller's own timeout covers the retries too, so each attempt gets what is left.
  if (typeof request === 'object' && typeof request.timeout === 'number')
    request = { ...request, timeout: Math.max(1, Math.min(request.timeout, remainingMs)) };
  return new Promise((resolve, reject) => {
    const callback = (error: MysqlError | null, rows: unknown, fields: unknown) => {
      if (error) reject(AttemptError.lost(error));
      else resolve([rows, fields]);
    };
    if (statement.values === undefined) connection[statement.method](request, callback);
    else connection[statement.method](request, statement.values, callback);
  });
}

/** Runs one attempt: acquire, send, give back. */
async function attempt<T>(channel: Channel, policy: Policy, run: (c: CoreConnection) => Promise<T>): Promise<T> {
  const once = async () => {
    let connection: CoreConnection;
    try {
      connection = await channel.acquire();
    } catch (error) {
      throw new AttemptError(error as MysqlError, false);
    }
    try {
      const result = await run(connection);
      channel.done(connection, false);
      return result;
    } catch (failure) {
      const fatal = failure instanceof AttemptError ? failure.error.fatal === true : true;
      channel.done(connection, fatal);
      throw failure;
    }
  };
  if (!policy.resource) return once();
  // The resource (its circuit's errorFilter, its events) sees mysql2's own error, not our wrapper.
  let failed: AttemptError | undefined;
  const unwrapped = () =>
    once().catch((failure: unknown) => {
      if (!(failure instanceof AttemptError)) throw failure;
      failed = failure;
      throw failure.error;
    });
  return policy.resource.run(unwrapped).catch((error: unknown) => {
    throw failed !== undefined && failed.error === error ? failed : error;
  });
}

/** Decides whether a failed attempt may be sent again; returns the reason not to, if any. */
function verdict(failure: AttemptError, statement: Statement, channel: Channel, policy: Policy, tries: number, elapsedMs: number): GiveUpReason | undefined {
  if (!isTransient(failure.error)) return 'not-transient';
  const pinned = channel.pinned();
  if (pinned) return pinned;
  if (failure.sent && statement.kind !== 'read') return 'write-in-doubt';
  if (!policy.retry || tries >= policy.attempts || elapsedMs >= policy.deadlineMs) return 'attempts-exhausted';
  return undefined;
}

/**
 * Runs `statement` under the retry rules, each attempt through `once` (given the time the deadline
 * leaves); failures not retried carry `err.bulwark`. `delivered()` is true once a streamed row
 * reached the caller, which rules out any retry.
 */
export async function withRetries<T>(
  channel: Channel,
  policy: Policy,
  statement: Statement,
  once: (connection: CoreConnection, remainingMs: number) => Promise<T>,
  delivered: () => boolean = () => false,
): Promise<T> {
  const started = Date.now();
  for (let tries = 1; ; tries++) {
    try {
      return await attempt(channel, policy, (c) => once(c, policy.deadlineMs - (Date.now() - started)));
    } catch (failure) {
      const elapsedMs = Date.now() - started;
      if (!(failure instanceof AttemptError)) giveUp(failure, { attempts: tries, retried: tries > 1, reason: 'not-transient' });
      const reason = delivered() ? 'rows-delivered' : verdict(failure, statement, channel, policy, tries, elapsedMs);
      if (reason) {
        const facts: BulwarkFacts = { attempts: tries, retried: tries > 1, reason };
        if (reason !== 'not-transient') publish('mysql', 'give-up', { ...facts, code: codeOf(failure.error), method: statement.method, kind: statement.kind });
        giveUp(failure.error, facts);
      }
      await pause(policy, statement, failure, tries, elapsedMs);
    }
  }
}

/** Sends `statement` under the retry rules; resolves with mysql2's `[rows, fields]`. */
export function runStatement(channel: Channel, policy: Policy, statement: Statement): Promise<[unknown, unknown]> {
  return withRetries(channel, policy, statement, (c, remainingMs) => send(c, statement, remainingMs));
}

/** Reports a retry and waits the jittered backoff, cut to the time the deadline leaves. */
async function pause(policy: Policy, statement: Pick<Statement, 'method' | 'kind'>, failure: AttemptError, tries: number, elapsedMs: number): Promise<void> {
  const delayMs = Math.min(backoff(policy, tries), Math.max(0, policy.deadlineMs - elapsedMs));
  const info: RetryInfo = {
    attempt: tries,
    attempts: policy.attempts,
    why: failure.sent ? 'read-lost' : 'not-sent',
    code: codeOf(failure.error),
    delayMs,
    elapsedMs,
    method: statement.method,
    kind: statement.kind,
  };
  publish('mysql', 'retry', info);
  policy.onRetry?.(info);
  if (delayMs > 0) await delay(delayMs);
}

/** Full-jitter exponential backoff: a random wait up to base * 2^(attempt-1), capped. */
function backoff(policy: Policy, attempt: number): number {
  const ceiling = Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** (attempt - 1));
  return Math.round(Math.random() * ceiling);
}

function codeOf(error: MysqlError): string {
  return error.code ?? (error.fatal ? 'CONNECTION_CLOSED' : 'UNKNOWN');
}
