import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GuardClosedError } from '@bulwark/core';
import { afterEach, describe, expect, it } from 'vitest';
import { ResourceClosedError, type ResourceOptions } from '../dist/index.js';
import { closeOpened, openForTest, uid, uniqueName } from './host.js';

afterEach(closeOpened);

const open = (options: ResourceOptions) => openForTest(uniqueName('contract'), options);

describe('close', () => {
  it('returns the same promise each call, resolves, and leaves no timer or listener behind', async () => {
    const resources = process.getActiveResourcesInfo().length;
    const listeners = process.listenerCount('exit') + process.listenerCount('warning');
    const res = open({ tickets: 2, shareCircuit: true });
    await res.run(() => 'ran');
    const first = res.close();
    expect(res.close()).toBe(first);
    await expect(first).resolves.toBeUndefined();
    expect(res.closed).toBe(true);
    expect(process.getActiveResourcesInfo().length).toBe(resources);
    expect(process.listenerCount('exit') + process.listenerCount('warning')).toBe(listeners);
  });

  it('rejects a run after close with GuardClosedError (ERR_BULWARK_CLOSED), still matched by the deprecated ResourceClosedError', async () => {
    const res = open({ tickets: 1 });
    await res.close();
    const error = await res.run(() => 'never').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GuardClosedError);
    expect(error).toBeInstanceOf(ResourceClosedError);
    expect(error).toMatchObject({ code: 'ERR_BULWARK_CLOSED', guard: 'breaker', message: `resource ${res.name} is closed` });
  });

  it('closes through `await using`', async () => {
    let closed: Promise<void> | undefined;
    {
      await using res = open({ tickets: 1 });
      closed = Promise.resolve(res.close());
    }
    await expect(closed).resolves.toBeUndefined();
  });
});

describe('a throwing observer', () => {
  it("never changes a call's outcome, even on the process sending the half-open trial, and surfaces on the next tick", () => {
    const name = uniqueName('observer');
    const child = spawnSync(process.execPath, [fileURLToPath(new URL('./fixtures/throwing-observer.mjs', import.meta.url))], {
      env: { ...process.env, RESOURCE_NAME: name },
      timeout: 20_000,
    });
    rmSync(`/dev/shm/bulwark.${uid}.${name}`, { force: true });
    expect(child.status, String(child.stderr)).toBe(0);
    expect(JSON.parse(String(child.stdout))).toEqual({
      first: 'down',
      trial: 'recovered', // the trial was sent and settled as if nobody listened
      state: 'closed',
      heard: ['open', 'half-open', 'closed'],
      surfacedBeforeTick: 0,
      surfaced: ['listener failed'],
    });
  });
});
