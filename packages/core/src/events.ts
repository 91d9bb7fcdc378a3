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

/** Publishes on `bulwark:<guard>:<event>`; costs one property read when nobody subscribes. */
export function publish(guard: string, event: string, payload: object): void {
  const channel = channelFor(guard, event);
  if (channel.hasSubscribers) channel.publish(payload);
}

type Listeners<Events> = { [K in keyof Events]: [payload: Events[K]] };

/**
 * A typed EventEmitter whose every event is also published on `node:diagnostics_channel`.
 * `Events` maps each event name to its payload, a plain object of numbers and names.
 */
export class GuardEmitter<Events extends { [K in keyof Events]: object }> extends EventEmitter<Listeners<Events>> {
  constructor(readonly guard: string) {
    super();
  }

  /** Emits `event` to listeners and publishes it on its diagnostics channel. */
  protected report<K extends keyof Events & string>(event: K, payload: Events[K]): void {
    publish(this.guard, event, payload);
    (this as EventEmitter).emit(event, payload);
  }
}
