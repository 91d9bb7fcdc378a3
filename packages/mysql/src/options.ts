import { InvalidOptionError, checkBoolean, checkFunction, checkNumber, checkOptions, processGlobal } from '@bulwark/core';

/** Anything that runs work under a guard: `@bulwark/breaker`'s `resource(...)` fits. */
export interface Runner {
  run<T>(fn: () => Promise<T>): Promise<T>;
}

/** @deprecated renamed `Runner` (it clashed with `@bulwark/breaker`'s `Resource` class). */
export type Resource = Runner;

/** What `onRetry` and the `bulwark:mysql:retry` channel get: numbers and names, never SQL or values. */
export interface RetryInfo {
  /** The attempt that just failed (1 for the first). */
  readonly attempt: number;
  readonly attempts: number;
  /** `not-sent`: the request never left; `read-lost`: an idempotent read lost its connection. */
  readonly why: 'not-sent' | 'read-lost';
  /** mysql2's error code for the failure. */
  readonly code: string;
  readonly delayMs: number;
  readonly elapsedMs: number;
  /** `query`, `execute`, or `connect` for a pool's connection that failed to open. */
  readonly method: string;
  /** `read` or `write` as classified; `none` for `connect`. */
  readonly kind: 'read' | 'write' | 'none';
}

export interface RetryReadsOptions {
  /** Attempts in all, the first included. @default 3 */
  readonly attempts?: number;
  /** Time budget for a statement and its retries; no attempt starts after it. @default 10000 */
  readonly deadlineMs?: number;
  /** Base of the jittered exponential backoff between attempts. @default 25 */
  readonly backoffMs?: number;
  /** Longest wait between two attempts. @default 1000 */
  readonly maxBackoffMs?: number;
  /** Called before each retry. */
  readonly onRetry?: (info: RetryInfo) => void;
}

export interface WrapOptions {
  /** `true` for the defaults, `false` to send every statement once, or retry options. @default true */
  readonly retryReads?: boolean | RetryReadsOptions;
  /** Every attempt runs through `resource.run` (a breaker/bulkhead). @default undefined (attempts run directly, unless `resourceFor` picks one) */
  readonly resource?: Runner;
  /** Picks the resource for a server (`host` is the socket path for a Unix socket), when `resource` is not given. @default undefined (no resource) */
  readonly resourceFor?: (host: string, port: number) => Runner | undefined;
}

/** Where a pool or connection points: mysql2's connection config, as far as `resourceFor` needs it. */
export interface ServerConfig {
  readonly host?: string;
  readonly port?: number;
  readonly socketPath?: string;
}

export interface Policy {
  readonly retry: boolean;
  readonly attempts: number;
  readonly deadlineMs: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  readonly onRetry: ((info: RetryInfo) => void) | undefined;
  readonly resource: Runner | undefined;
}

const wrapKeys = ['retryReads', 'resource', 'resourceFor'];
const retryKeys = ['attempts', 'deadlineMs', 'backoffMs', 'maxBackoffMs', 'onRetry'];
// Shared by the ESM and the CJS copy of this package, so the umbrella's defaults reach both.
const defaults = processGlobal('mysql.defaults', () => ({ options: {} as WrapOptions }));

/**
 * Sets options every pool and connection created afterwards starts from (the `bulwark` umbrella
 * uses it to give each host:port its own breaker). Bad keys or values throw here, naming them.
 * Returns the previous defaults, to restore them.
 */
export function setDefaults(options: WrapOptions): WrapOptions {
  checkValues(checkOptions('defaults', options, wrapKeys));
  const previous = defaults.options;
  defaults.options = options;
  return previous;
}

/** `options` over the defaults, their keys checked. */
const merged = (options: WrapOptions | undefined): WrapOptions => ({ ...defaults.options, ...checkOptions('options', options, wrapKeys) });

/** Throws, naming the option and value, when `options` are bad; opens nothing (no `resourceFor` call). */
export function checkWrapOptions(options: WrapOptions | undefined): void {
  checkValues(merged(options));
}

/**
 * Checks `options` over the defaults and resolves the retry policy; with `server` (a pool's
 * address, a Unix socket's path standing for its host) it also picks the pool's resource.
 */
export function resolvePolicy(options: WrapOptions | undefined, server?: ServerConfig): Policy {
  const o = merged(options);
  const resource =
    o.resource ?? (server ? o.resourceFor?.(server.socketPath ?? server.host ?? 'localhost', server.port ?? 3306) : undefined);
  return { ...checkValues(o), resource };
}

/** Checks every value of `o` (its keys are checked) and defaults the retry settings. */
function checkValues(o: WrapOptions): Omit<Policy, 'resource'> {
  const retryReads = o.retryReads ?? true;
  const r = typeof retryReads === 'object' ? checkOptions('retryReads', retryReads, retryKeys) : {};
  if (typeof retryReads !== 'object') checkBoolean('retryReads', retryReads);
  if (o.resource !== undefined && typeof (o.resource as Runner)?.run !== 'function')
    throw new InvalidOptionError('resource', o.resource, 'an object with a run(fn) method');
  if (o.resourceFor !== undefined) checkFunction<NonNullable<WrapOptions['resourceFor']>>('resourceFor', o.resourceFor);
  return {
    retry: retryReads !== false,
    attempts: checkNumber('retryReads.attempts', r.attempts ?? 3, { min: 1, max: 1000, integer: true }),
    deadlineMs: checkNumber('retryReads.deadlineMs', r.deadlineMs ?? 10_000, { min: 0 }),
    backoffMs: checkNumber('retryReads.backoffMs', r.backoffMs ?? 25, { min: 0 }),
    maxBackoffMs: checkNumber('retryReads.maxBackoffMs', r.maxBackoffMs ?? 1000, { min: 0 }),
    onRetry: r.onRetry === undefined ? undefined : checkFunction<(info: RetryInfo) => void>('retryReads.onRetry', r.onRetry),
  };
}
