import { notify, publish } from '@bulwark/core';
import { classify, sessionChange } from './classify.js';
import type { Command } from './mysql2.js';
import { usesPreparedHandle } from './mysql2.js';
import type { Policy, RetryInfo } from './options.js';
import { type BulwarkFacts, type GiveUpReason, type MysqlError, closedInOrder, neverSent, withFacts } from './transient.js';

const kAttempt = Symbol('bulwark.mysql.attempt');
interface Attempt {
  /** The send this is (1 for the first): a retry that was never sent spends none. */
  tries: number;
  /** Whether the last `prepareRetry` counted a send (what `cancelRetry` takes back). */
  counted?: boolean;
  readonly started: number;
  /** What pinned the session when the statement was issued (its own effect does not pin itself). */
  readonly pinned: GiveUpReason | undefined;
  /** The first statement issued on its connection: nothing had been answered on it yet. */
  readonly opening: boolean;
  /** The error the statement first met: what the caller gets if the retries do not succeed. */
  first?: unknown;
}
type Stamped = Command & { [kAttempt]?: Attempt };

/**
 * Notes when a statement was first issued (the deadline runs from there, on a monotonic clock),
 * what pinned its session then, and whether it opened its connection's conversation.
 */
export function stamp(command: Command, pinned: GiveUpReason | undefined, opening: boolean): void {
  (command as Stamped)[kAttempt] ??= { tries: 1, started: performance.now(), pinned, opening };
}

function attemptOf(command: Command): Attempt {
  return ((command as Stamped)[kAttempt] ??= { tries: 1, started: performance.now(), pinned: undefined, opening: false });
}

/**
 * `read` when the statement may be sent twice: the caller's `idempotent` mark, else the classifier;
 * a `SET` of literal values (what the session replays on a fresh connection) does nothing twice.
 */
export function kindOf(command: Command): 'read' | 'write' {
  const marked = (command._queryOptions ?? command._executeOptions)?.idempotent;
  if (typeof marked === 'boolean') return marked ? 'read' : 'write';
  const sql = command.sql ?? '';
  return sessionChange(sql)?.effect === 'replay' ? 'read' : classify(sql);
}

/** Whether the request may have reached the server: the command started, and an answer began or the error does not prove otherwise. */
function sent(command: Command, error: unknown): boolean {
  if (command.next === null) return false;
  const answered = (command._fields?.length ?? 0) > 0 || ((command as { _rows?: unknown[] })._rows?.length ?? 0) > 0;
  return answered || !neverSent(error);
}

/** A streaming command whose caller already got fields or rows. */
function delivered(command: Command): boolean {
  return !command.onResult && (command._fields?.length ?? 0) > 0;
}

/** Why `command`, which lost its connection with `error`, must not be sent again; undefined when it may. */
export function verdict(command: Command, error: unknown, policy: Policy): GiveUpReason | undefined {
  if (delivered(command)) return 'rows-delivered';
  const attempt = attemptOf(command);
  const pinned = attempt.pinned ?? (usesPreparedHandle(command) ? 'in-transaction' : undefined);
  if (pinned) return pinned;
  const wasSent = sent(command, error);
  if (wasSent && kindOf(command) !== 'read') return 'write-in-doubt';
  // A connection that dies of age or of a failover had answered before. A server that closes a
  // new connection in order on its first statement is answering that statement: sent again, it
  // would close the next connection too (a query of death takes every replica it is sent to).
  if (wasSent && attempt.opening && closedInOrder(error)) return 'closed-on-first-statement';
  // Only a send spends an attempt: a statement that waited behind others on a connection that died
  // (a session's replayed SET, another statement) is bounded by the deadline alone.
  const spent = wasSent && attempt.tries >= policy.attempts;
  if (!policy.retry || spent || performance.now() - attempt.started >= policy.deadlineMs) return 'attempts-exhausted';
  return undefined;
}

/** The facts for a command given up with `reason`, published unless the error was never the guard's business. */
export function giveUpFacts(command: Command, error: unknown, reason: GiveUpReason): BulwarkFacts {
  const { tries } = attemptOf(command);
  const facts: BulwarkFacts = { attempts: tries, retried: tries > 1, reason };
  if (reason !== 'not-transient')
    publish('mysql', 'give-up', { ...facts, code: codeOf(error), method: methodOf(command), kind: kindOf(command) });
  return facts;
}

/** The error `command` first met, when it was retried (the caller gets that one, not a reconnect's). */
export function firstError(command: Command): unknown {
  return attemptOf(command).first;
}

/**
 * Makes the next notification of `command` carry `facts` on its error (the error object stays
 * mysql2's); a retried statement gets the error it first met instead of a later attempt's.
 */
export function markNextError(command: Command, facts: BulwarkFacts): void {
  const onResult = command.onResult;
  if (!onResult) return;
  const first = attemptOf(command).first;
  command.onResult = function (this: unknown, error: unknown, ...results: unknown[]) {
    command.onResult = onResult;
    const given = error && first ? first : error;
    if (given) withFacts(given, facts);
    return onResult.call(this, given, ...results);
  };
}

// Own fields mysql2's commands keep across a retry: what the caller gave and who listens.
const kept = new Set([
  'sql',
  'values',
  'onResult',
  '_events',
  '_eventsCount',
  '_maxListeners',
  'namedPlaceholders',
  '_queryOptions',
  '_executeOptions',
  'timeout',
  'parameters',
  '_streamFactory',
]);

/**
 * Puts `command` back as mysql2 built it, to be added to a fresh connection: its state comes from a
 * pristine command of the same class; the caller's SQL, callback and listeners stay. Counts the
 * attempt when the statement was sent, cuts a caller's `timeout` to what the deadline leaves
 * (PEP 475), reports the retry and returns the backoff to wait.
 */
export function prepareRetry(command: Command, error: unknown, policy: Policy): number {
  const why = sent(command, error) ? 'read-lost' : 'not-sent';
  if (command.queryTimeout) clearTimeout(command.queryTimeout);
  const options = command._queryOptions ?? command._executeOptions;
  const pristine = new (command.constructor as new (options: unknown, callback: unknown) => Record<string, unknown>)(options, undefined);
  const target = command as unknown as Record<string, unknown>;
  for (const key of Object.keys(pristine)) if (!kept.has(key)) target[key] = pristine[key];
  if (Object.hasOwn(command, 'start')) delete command.start; // mysql2 stubs it when a prepare failed
  const attempt = attemptOf(command);
  attempt.first ??= error;
  const elapsedMs = performance.now() - attempt.started;
  const remainingMs = policy.deadlineMs - elapsedMs;
  if (typeof command.timeout === 'number' && command.timeout > 0) command.timeout = Math.max(1, Math.min(command.timeout, remainingMs));
  const delayMs = Math.min(backoff(policy, attempt.tries), Math.max(0, remainingMs));
  report(policy, {
    attempt: attempt.tries,
    attempts: policy.attempts,
    why,
    code: codeOf(error),
    delayMs,
    elapsedMs,
    method: methodOf(command),
    kind: kindOf(command),
  });
  attempt.counted = why === 'read-lost';
  if (attempt.counted) attempt.tries++;
  return delayMs;
}

/** Takes back the attempt `prepareRetry` counted, when the retry could not be made. */
export function cancelRetry(command: Command): void {
  const attempt = attemptOf(command);
  if (attempt.counted) attempt.tries--;
  attempt.counted = false;
}

/** Publishes a retry and tells `onRetry` (isolated: a throwing observer changes nothing). */
export function report(policy: Policy, info: RetryInfo): void {
  publish('mysql', 'retry', info);
  if (policy.onRetry) notify(policy.onRetry, info);
}

/** Full-jitter exponential backoff: a random wait up to base * 2^(attempt-1), capped. */
export function backoff(policy: Policy, attempt: number): number {
  const ceiling = Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** (attempt - 1));
  return Math.round(Math.random() * ceiling);
}

export function codeOf(error: unknown): string {
  const e = error as MysqlError | undefined;
  return e?.code ?? (e?.fatal ? 'CONNECTION_CLOSED' : 'UNKNOWN');
}

function methodOf(command: Command): 'query' | 'execute' {
  return command._executeOptions ? 'execute' : 'query';
}
