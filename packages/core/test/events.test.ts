import diagnostics_channel from 'node:diagnostics_channel';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { catchNextTickThrows } from '@bulwark/test-rig';
import { GuardEmitter, notify } from '../dist/index.js';

interface DoorEvents {
  open: { readonly door: string; readonly count: number };
}

class Door extends GuardEmitter<DoorEvents> {
  constructor() {
    super('door');
  }
  open(count: number) {
    this.report('open', { door: 'front', count });
    return 'opened';
  }
}

let catching: ReturnType<typeof catchNextTickThrows> | undefined;
/** What the next ticks throw during this test. */
function nextTickThrows(): unknown[] {
  catching = catchNextTickThrows();
  return catching.thrown;
}

afterEach(() => {
  vi.restoreAllMocks();
  catching?.restore();
  catching = undefined;
});

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
    expect(heard).toEqual([
      { door: 'front', count: 1 },
      { door: 'front', count: 2 },
    ]);
    expect(published).toEqual([{ door: 'front', count: 1 }]);
  });

  it('publish nothing when nobody subscribes', () => {
    const channel = diagnostics_channel.channel('bulwark:door:open');
    const publishSpy = vi.spyOn(channel, 'publish');
    expect(channel.hasSubscribers).toBe(false);
    new Door().open(3);
    expect(publishSpy).not.toHaveBeenCalled();
  });

  it('isolate a throwing listener: the others still hear, the guard goes on, the error surfaces on the next tick', async () => {
    const thrown = nextTickThrows();
    const door = new Door();
    const heard: number[] = [];
    const boom = new Error('listener bug');
    door.on('open', () => {
      throw boom;
    });
    door.once('open', ({ count }) => heard.push(count));
    expect(door.open(1)).toBe('opened');
    door.open(2);
    expect(heard).toEqual([1]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(thrown).toEqual([boom, boom]);
  });

  it('notify() calls a callback and surfaces its throw later', async () => {
    const thrown = nextTickThrows();
    const seen: number[] = [];
    notify((n: number) => seen.push(n), 7);
    notify(() => {
      throw new Error('late');
    });
    expect(seen).toEqual([7]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(thrown.map((e) => (e as Error).message)).toEqual(['late']);
  });
});
