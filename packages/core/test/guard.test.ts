import diagnostics_channel from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { GuardClosedError, GuardHandle, closeWith, describe as describeValue, warn } from '../dist/index.js';

class Ticker extends GuardHandle<{ tick: { readonly n: number } }> {
  released = 0;
  constructor() {
    super('ticker');
    this.cleanup.listen(process, 'SIGUSR2', () => {});
    this.cleanup.timer(setInterval(() => {}, 1000));
  }
  protected override async teardown() {
    super.teardown();
    await new Promise((resolve) => setTimeout(resolve, 20));
    this.released++;
  }
}

describe('the guard contract', () => {
  it('close() is awaitable and idempotent: the same promise, the teardown once', async () => {
    const before = process.listenerCount('SIGUSR2');
    const ticker = new Ticker();
    expect(process.listenerCount('SIGUSR2')).toBe(before + 1);
    const first = ticker.close();
    // The synchronous part is done when close() returns.
    expect(process.listenerCount('SIGUSR2')).toBe(before);
    expect(ticker.close()).toBe(first);
    await first;
    await ticker.close();
    expect(ticker.released).toBe(1);
    expect(ticker.closed).toBe(true);
  });

  it('leaves no handle behind', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const ticker = new Ticker();
    await ticker.close();
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before);
  });

  it('await using and using both close', async () => {
    let outer: Ticker;
    {
      await using ticker = new Ticker();
      outer = ticker;
    }
    expect(outer.released).toBe(1);
    const sync = new Ticker();
    sync[Symbol.dispose]();
    expect(sync.closed).toBe(true);
    await sync.close();
    expect(sync.released).toBe(1);
  });

  it('closeWith() gives an undo the same shape', async () => {
    let undone = 0;
    const guard = closeWith(() => {
      undone++;
    });
    await Promise.all([guard.close(), guard.close(), guard[Symbol.asyncDispose]()]);
    expect(undone).toBe(1);
  });

  it('a failing teardown rejects close(), every time', async () => {
    const guard = closeWith(() => {
      throw new Error('cannot undo');
    });
    await expect(guard.close()).rejects.toThrow('cannot undo');
    await expect(guard.close()).rejects.toThrow('cannot undo');
  });

  it('GuardClosedError names the guard, with one code for every guard', () => {
    const error = new GuardClosedError('hup');
    expect(error.code).toBe('ERR_BULWARK_CLOSED');
    expect(error.name).toBe('GuardClosedError');
    expect(error.message).toBe('the hup guard is closed');
  });

  it('warn() emits a coded BulwarkWarning and publishes it on the guard channel', async () => {
    const published: unknown[] = [];
    const subscriber = (message: unknown) => published.push(message);
    diagnostics_channel.subscribe('bulwark:ticker:warning', subscriber);
    const warned = new Promise<Error & { code?: string }>((resolve) => process.once('warning', resolve));
    warn('ticker', 'BULWARK_TICKER_LATE', 'the ticker is late');
    const warning = await warned;
    diagnostics_channel.unsubscribe('bulwark:ticker:warning', subscriber);
    expect(warning.name).toBe('BulwarkWarning');
    expect(warning.code).toBe('BULWARK_TICKER_LATE');
    expect(published).toEqual([{ code: 'BULWARK_TICKER_LATE', message: 'the ticker is late' }]);
  });

  it('messages never dump a whole object', () => {
    class Transport {
      big = 'x'.repeat(1_000_000);
    }
    expect(describeValue(new Transport())).toBe('an instance of Transport');
    expect(describeValue({ a: 'x'.repeat(10_000) }).length).toBeLessThanOrEqual(200);
    expect(describeValue(-1)).toBe('-1');
  });
});
