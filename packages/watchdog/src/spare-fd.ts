import { closeSync, openSync } from 'node:fs';

/**
 * One file descriptor held in reserve (on /dev/null), so the watchdog can still open a report file
 * or read /proc when the process has run out of descriptors (EMFILE).
 */
export class SpareFd {
  #fd: number | undefined = openSpare();

  /** Runs `task` with the spare descriptor free, then takes it back. */
  use<T>(task: () => T): T {
    if (this.#fd !== undefined) closeSync(this.#fd);
    try {
      return task();
    } finally {
      this.#fd = openSpare();
    }
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}

function openSpare(): number | undefined {
  try {
    return openSync('/dev/null', 'r');
  } catch {
    return undefined;
  }
}
