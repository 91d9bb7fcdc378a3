import { forward } from './forward.js';
import { statementMethods, transactionMethods } from './methods.js';
import type { Policy } from './options.js';
import { type CoreConnection, HeldChannel } from './channel.js';

type Listener = (...args: unknown[]) => void;
interface Emitter {
  on(event: string | symbol, listener: Listener): unknown;
  once(event: string | symbol, listener: Listener): unknown;
  removeListener(event: string | symbol, listener: Listener): unknown;
}
type PromiseConnection = Emitter & { connection: CoreConnection } & Record<string, (...args: unknown[]) => unknown>;

/** Remembers the listeners a caller adds, to move them to a fresh connection after a swap. */
class Listeners {
  #added: Array<[string | symbol, Listener, 'on' | 'once']> = [];

  overrides(target: () => Emitter, self: () => unknown): Record<string, unknown> {
    const add = (how: 'on' | 'once') => (event: string | symbol, listener: Listener) => {
      this.#added.push([event, listener, how]);
      target()[how](event, listener);
      return self();
    };
    const remove = (event: string | symbol, listener: Listener) => {
      this.#added = this.#added.filter(([e, l]) => e !== event || l !== listener);
      target().removeListener(event, listener);
      return self();
    };
    return { on: add('on'), addListener: add('on'), once: add('once'), removeListener: remove, off: remove };
  }

  moveTo(fresh: Emitter): void {
    for (const [event, listener, how] of this.#added) fresh[how](event, listener);
  }
}

/** Wraps a `mysql2/promise` connection the caller holds (from `getConnection()` or `createConnection()`). */
export function wrapPromiseConnection(held: PromiseConnection, renew: () => Promise<CoreConnection>, policy: Policy): PromiseConnection {
  let current = held;
  const listeners = new Listeners();
  const channel = new HeldChannel(held.connection, renew, (fresh) => {
    current = (fresh as unknown as { promise(): PromiseConnection }).promise();
    listeners.moveTo(current);
  });
  const wrapped: PromiseConnection = forward(held, () => current, {
    ...statementMethods(channel, policy, 'promise'),
    ...transactionMethods(channel, 'promise', () => current),
    ...listeners.overrides(() => current, () => wrapped),
  });
  return wrapped;
}

/** Wraps a `mysql2` callback-API connection the caller holds. */
export function wrapCallbackConnection(held: CoreConnection & Emitter, renew: () => Promise<CoreConnection>, policy: Policy): CoreConnection {
  const listeners = new Listeners();
  const channel: HeldChannel = new HeldChannel(held, renew, (fresh) => listeners.moveTo(fresh as unknown as Emitter));
  const wrapped: CoreConnection = forward(held, () => channel.current, {
    ...statementMethods(channel, policy, 'callback'),
    ...transactionMethods(channel, 'callback', () => channel.current),
    ...listeners.overrides(() => channel.current as unknown as Emitter, () => wrapped),
  });
  return wrapped;
}

/** A fresh standalone connection with the same config as `old` (mysql2's own constructor). */
export function reconnect(old: CoreConnection): Promise<CoreConnection> {
  const Connection = old.constructor as new (options: { config: unknown }) => CoreConnection & Emitter;
  const fresh = new Connection({ config: (old as unknown as { config: unknown }).config });
  return new Promise((resolve, reject) => {
    const onError = (error: unknown) => reject(error);
    fresh.once('error', onError as Listener);
    fresh.once('connect', () => {
      fresh.removeListener('error', onError as Listener);
      resolve(fresh);
    });
  });
}
