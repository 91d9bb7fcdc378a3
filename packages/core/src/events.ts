import diagnostics_channel, { type Channel } from 'node:diagnostics_channel';
import { EventEmitter } from 'node:events';

const channels = new Map<string, Channel>();

/** The `node:diagnostics_channel` channel a guard's event is published on: `bulwark:<guard>:<event>`. */
export function channelFor(guard: string, event: string): Channel {
  const name = `bulwark:${guard}:${event}`;
  let channel = channels.get(name);
  if (!channel) channels.set(name, (channel = diagnostics_channel.channel(name)));
  return channel;
}

/**
 * Publishes on `bulwark:<guard>:<event>`; costs one property read when nobody subscribes. A
 * subscriber that throws is isolated by Node, which rethrows its error on the next tick.
 */
export function publish(guard: string, event: string, payload: object): void {
  const channel = channelFor(guard, event);
  if (channel.hasSubscribers) channel.publish(payload);
}

/** Rethrows `error` on the next tick, as Node does for a throwing diagnostics_channel subscriber. */
export function surfaceLater(error: unknown): void {
  process.nextTick(() => {
    throw error;
  });
}

/**
 * Calls `listener` and isolates it: whatever it throws surfaces on the next tick and can never
 * change what the caller does next. The one way a guard calls code it does not own for news.
 */
export function notify<A extends unknown[]>(listener: (...args: A) => unknown, ...args: A): void {
  try {
    listener(...args);
  } catch (error) {
    surfaceLater(error);
  }
}

type Listeners<Events> = { [K in keyof Events]: [payload: Events[K]] };

/**
 * A typed EventEmitter whose every event is also published on `node:diagnostics_channel`.
 * `Events` maps each event name to its payload, a plain object of numbers and names. Listeners are
 * observers: one that throws is isolated (its error surfaces on the next tick), the others still
 * run, and the guard's work goes on as if nobody listened.
 */
export class GuardEmitter<Events extends { [K in keyof Events]: object }> extends EventEmitter<Listeners<Events>> {
  constructor(readonly guard: string) {
    super();
  }

  /** Emits `event` to listeners and publishes it on its diagnostics channel, isolating both. */
  protected report<K extends keyof Events & string>(event: K, payload: Events[K]): void {
    publish(this.guard, event, payload);
    const emitter = this as EventEmitter;
    if (emitter.listenerCount(event) === 0) return;
    for (const listener of emitter.rawListeners(event) as Array<(payload: unknown) => unknown>) notify(() => listener.call(this, payload));
  }
}
