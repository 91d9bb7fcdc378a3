import { isBulwarkError, publish } from '@bulwark/core';
import type { Connection } from './mysql2.js';
import type { Policy } from './options.js';
import { backoff, codeOf, report } from './retry.js';
import { isTransient, withFacts } from './transient.js';

type Callback = (error: Error | null, connection: Connection) => void;
const kTicket = Symbol('bulwark.mysql.ticket');
type Ticketed = Connection & { [kTicket]?: { resolve(): void; reject(error: unknown): void } };

/**
 * mysql2's pool getConnection, again after a jittered backoff while opening a connection fails
 * with a lost connection (nothing was sent yet), within the attempts and the deadline. The error
 * that ends it carries `err.bulwark`.
 */
export function connectWithRetries(policy: Policy, open: (callback: Callback) => void, callback: Callback): void {
  const started = performance.now();
  let tries = 0;
  const attempt = () => {
    tries++;
    open((error, connection) => {
      if (!error) return callback(null, connection);
      const elapsedMs = performance.now() - started;
      const exhausted = !policy.retry || tries >= policy.attempts || elapsedMs >= policy.deadlineMs;
      const reason = !isTransient(error) ? 'not-transient' : exhausted ? 'attempts-exhausted' : undefined;
      if (reason) {
        const facts = { attempts: tries, retried: tries > 1, reason } as const;
        if (reason !== 'not-transient') publish('mysql', 'give-up', { ...facts, code: codeOf(error), method: 'connect', kind: 'none' });
        return callback(withFacts(error, facts), connection);
      }
      const delayMs = Math.min(backoff(policy, tries), Math.max(0, policy.deadlineMs - elapsedMs));
      report(policy, {
        attempt: tries,
        attempts: policy.attempts,
        why: 'not-sent',
        code: codeOf(error),
        delayMs,
        elapsedMs,
        method: 'connect',
        kind: 'none',
      });
      setTimeout(attempt, delayMs);
    });
  };
  attempt();
}

/**
 * A pool statement's connection, taken through `policy.resource` (a breaker's bulkhead and
 * circuit): the resource's ticket is held until the connection goes back to the pool, and a lost
 * connection counts as the attempt's failure. A shed request is never sent.
 */
export function gatedConnection(policy: Policy, open: (callback: Callback) => void, callback: Callback): void {
  let handed = false;
  const attempt = () =>
    new Promise<void>((resolve, reject) =>
      open((error, connection) => {
        if (error) return reject(error);
        handed = true;
        (connection as Ticketed)[kTicket] = { resolve, reject };
        callback(null, connection);
      }),
    );
  policy.resource!.run(attempt).catch((error: unknown) => {
    if (handed) return; // the statement already has its connection; its own outcome is its own
    if (isBulwarkError(error)) withFacts(error, { attempts: 1, retried: false, reason: 'not-transient' });
    callback(error as Error, undefined as never);
  });
}

/** Ends the resource attempt of a pool statement's connection: a lost connection fails it. */
export function settleTicket(connection: Connection, error?: unknown): void {
  const ticket = (connection as Ticketed)[kTicket];
  if (!ticket) return;
  (connection as Ticketed)[kTicket] = undefined;
  if (error !== undefined && isTransient(error)) ticket.reject(error);
  else ticket.resolve();
}
