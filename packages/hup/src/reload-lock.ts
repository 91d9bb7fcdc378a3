import { processGlobal } from '@bulwark/core';

/** Releases the lock; after `until` settles when given (a reload that outlived its timeout). */
export type Release = (until?: Promise<unknown>) => void;

interface ReloadLock {
  /** Settles when the last holder, queued or running, has released. */
  tail: Promise<void>;
}

/**
 * Waits until no other reload runs in this process, across every HUP guard and every copy of
 * @bulwark/hup loaded (ESM and CJS), and resolves with the release. Holders run in arrival order.
 */
export function acquireReloadLock(): Promise<Release> {
  const lock = processGlobal<ReloadLock>('hup.reload-lock', () => ({ tail: Promise.resolve() }));
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const previous = lock.tail;
  lock.tail = previous.then(() => held);
  const settle = () => release();
  return previous.then(() => (until) => (until ? void until.then(settle, settle) : settle()));
}
