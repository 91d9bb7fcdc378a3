import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { SpareFd } from './spare-fd.js';

const hourMs = 3_600_000;

/** Writes report files (0600) from the watchdog thread, at most `perHour` an hour. */
export class ReportWriter {
  readonly #written: number[] = [];

  constructor(
    readonly dir: string,
    readonly perHour: number,
    readonly spare: SpareFd,
    readonly onError: (path: string, error: unknown) => void,
  ) {}

  /**
   * Writes `report` as JSON and returns its path, or undefined when capped or failed. The file is
   * written under a `.partial` name and renamed, so whoever watches the dir sees it whole.
   */
  write(kind: string, report: object): string | undefined {
    const now = Date.now();
    while (this.#written.length > 0 && now - this.#written[0]! > hourMs) this.#written.shift();
    if (this.#written.length >= this.perHour) return undefined;
    const path = join(this.dir, `watchdog-${process.pid}-${new Date(now).toISOString().replace(/[:.]/g, '-')}-${kind}.json`);
    // The spare descriptor lets the report be written when the process has none left.
    if (this.#replace(path, report) === undefined) return undefined;
    this.#written.push(now);
    return path;
  }

  /** Rewrites a report already written (a stack taken later joins it); not counted against the cap. */
  update(path: string, report: object): void {
    this.#replace(path, report);
  }

  #replace(path: string, report: object): string | undefined {
    const partial = `${path}.partial`;
    return this.spare.use(() => {
      try {
        mkdirSync(this.dir, { recursive: true, mode: 0o700 });
        const fd = openSync(partial, 'wx', 0o600);
        try {
          writeSync(fd, `${JSON.stringify(report, null, 2)}\n`);
        } finally {
          closeSync(fd);
        }
        renameSync(partial, path);
        return path;
      } catch (error) {
        rmSync(partial, { force: true });
        this.onError(path, error);
        return undefined;
      }
    });
  }
}
