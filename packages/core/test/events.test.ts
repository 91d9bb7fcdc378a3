import diagnostics_channel from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { GuardEmitter } from '../dist/index.js';

interface DoorEvents {
  open: { readonly door: string; readonly count: number };
}

class Door extends GuardEmitter<DoorEvents> {
  constructor() {
    super('door');
  }
  open(count: number) {
    this.report('open', { door: 'front', count });
  }
}

describe('guard events', () => {
  it('reach emitter listeners and the bulwark:<guard>:<event> channel alike', () => {
    const door = new Door();
    const heard: unknown[] = [];
    const published: unknown[] = [];
    const subscriber = (message: unknown) => published.push(message);
    door.on('open', (payload) => heard.push(payload));
    diagnostics_channel.subscribe('bulwark:door:open', subscriber);
    door.open(1);
    diagnostics_channel.unsubscribe('bulwark:door:open', subscriber);
    door.open(2);
    expect(heard).toEqual([{ door: 'front', count: 1 }, { door: 'front', count: 2 }]);
    expect(published).toEqual([{ door: 'front', count: 1 }]);
  });

  it('publish nothing when nobody subscribes', () => {
    const channel = diagnostics_channel.channel('bulwark:door:open');
    expect(channel.hasSubscribers).toBe(false);
    expect(() => new Door().open(3)).not.toThrow();
  });
});
