import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** An absolute configuration path as seen under `root` (`--root`, `/` on a real host). */
export const under = (root: string, path: string): string => (root === '/' ? path : join(root, path));

/** `read()`'s value, or `fallback` when the file is gone or unreadable. */
export function readOr<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

/** The text of a file, or undefined when it is missing or unreadable. */
export const readText = (path: string): string | undefined => readOr<string | undefined>(() => readFileSync(path, 'utf8'), undefined);
