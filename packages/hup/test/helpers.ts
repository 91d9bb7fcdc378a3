import type { NodeChild } from '@bulwark/test-rig';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** The payloads of every `event <name> <json>` line the child printed so far. */
export function events<T = Record<string, unknown>>(child: NodeChild, name: string): T[] {
  return child.stdout
    .split('\n')
    .filter((l) => l.startsWith(`event ${name} `))
    .map((l) => JSON.parse(l.slice(`event ${name} `.length)) as T);
}

/** Every `<word> ...` line, split into words. */
export function lines(child: NodeChild, word: string): string[][] {
  return child.stdout
    .split('\n')
    .filter((l) => l.startsWith(`${word} `))
    .map((l) => l.split(' '));
}

/** Waits until `probe` holds, polling, or throws after `timeoutMs`. */
export async function until(probe: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Waits for `ms` of quiet after the last reload so a late one would show. */
export const settle = (ms = 600) => sleep(ms);
