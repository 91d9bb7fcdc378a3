import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const hourMs = 3_600_000;

/**
 * Writes report files (0600) from the watchdog thread, at most `perHour` an hour. Keeps one spare
 * file descriptor so a report can still be written when the process has run out of them.
 */
export class ReportWriter {
  readonly #written: number[] = [];
  #spare: number | undefined;

  constructor(
    readonly dir: string,
    readonly perHour: number,
  ) {
    this.#spare = openSpare();
  }

  /** Writes `report` as JSON and returns its path, or undefined when capped or failed. */
  write(kind: string, report: object, now = Date.now()): string | undefined {
    while (this.#written.length > 0 && now - this.#written[0]! > hourMs) this.#written.shift();
    if (this.#written.length >= this.perHour) return undefined;
    const path = join(this.dir, `watchdog-${process.pid}-${new Date(now).toISOString().replace(/[:.]/g, '-')}-${kind}.json`);
    if (this.#spare !== undefined) closeSync(this.#spare);
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const fd = openSync(path, 'wx', 0o600);
      try {
        writeSync(fd, `${JSON.stringify(report, null, 2)}\n`);
      } finally {
        closeSync(fd);
      }
      this.#written.push(now);
      return path;
    } catch {
      return undefined;
    } finally {
      this.#spare = openSpare();
    }
  }

  /** Runs `task` with the spare descriptor free, for reads that must work when none are left. */
  withSpare<T>(task: () => T): T {
    if (this.#spare !== undefined) closeSync(this.#spare);
    try {
      return task();
    } finally {
      this.#spare = openSpare();
    }
  }

  close(): void {
    if (this.#spare !== undefined) closeSync(this.#spare);
    this.#spare = undefined;
  }
}

function openSpare(): number | undefined {
  try {
    return openSync('/dev/null', 'r');
  } catch {
    return undefined;
  }
}
