import { unrefTimeout } from '@bulwark/core';
import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import { RollError } from './errors.js';

/**
 * Replaces the primary's workers one at a time: fork the new one, wait until it listens, then
 * disconnect the old one and wait for it to exit. Only workers alive when the roll started are
 * replaced, each at most once; one that died meanwhile is left to the app's own `exit` handler
 * (which sees `worker.exitedAfterDisconnect === true` for the workers this roll retired).
 * Resolves with the number of workers replaced.
 */
export async function rollWorkers(timeoutMs: number): Promise<number> {
  const workers = Object.values(cluster.workers ?? {}).filter(
    (w): w is Worker => w !== undefined && !w.isDead() && !w.exitedAfterDisconnect,
  );
  let replaced = 0;
  for (const old of workers) {
    if (old.isDead() || old.exitedAfterDisconnect) continue;
    const fresh = cluster.fork();
    await listening(fresh, timeoutMs);
    await retire(old, timeoutMs);
    replaced++;
  }
  return replaced;
}

async function listening(worker: Worker, timeoutMs: number): Promise<void> {
  const settled = new AbortController();
  const timer = setTimeout(() => settled.abort(), timeoutMs);
  try {
    await Promise.race([
      once(worker, 'listening', { signal: settled.signal }),
      once(worker, 'exit', { signal: settled.signal }).then(([code, signal]) => {
        throw new RollError(`new worker ${worker.process.pid} exited (${signal ?? code}) before listening; its old worker was kept`);
      }),
    ]);
  } catch (error) {
    // Marked as retired on purpose (Node's kill() does not), so the app's crash handler leaves it.
    if (!worker.isDead()) {
      worker.exitedAfterDisconnect = true;
      worker.process.kill('SIGKILL');
    }
    if (error instanceof RollError) throw error;
    throw new RollError(`new worker ${worker.process.pid} did not listen within ${timeoutMs} ms; its old worker was kept`, {
      cause: error,
    });
  } finally {
    clearTimeout(timer);
    settled.abort();
  }
}

async function retire(worker: Worker, timeoutMs: number): Promise<void> {
  if (worker.isDead()) return;
  const exited = once(worker, 'exit');
  worker.disconnect();
  // A worker that will not leave gracefully is killed: its replacement already serves.
  const timer = unrefTimeout(() => !worker.isDead() && worker.process.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}
