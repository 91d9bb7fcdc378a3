/**
 * `hazard`: it will bite (non-zero exit). `covered`: the host has the hazard and a bulwark guard in
 * the process handles it. `ok`: not there. `unknown`: the files that tell could not be read.
 */
export type Status = 'hazard' | 'covered' | 'ok' | 'unknown';

/** The six checks, in the order the table lists them. */
export const checkNames = ['sighup', 'fds', 'ipc', 'logrotate', 'deaf', 'stalled'] as const;
export type CheckName = (typeof checkNames)[number];

/** One thing a check found about one process. */
export interface Finding {
  readonly check: CheckName;
  readonly status: Status;
  /** One line: what was found. */
  readonly summary: string;
  /** What was read, one fact a line, each naming where it came from. */
  readonly evidence: readonly string[];
  /** What to do about it; absent when nothing needs doing. */
  readonly fix?: string;
}

export const finding = (check: CheckName, status: Status, summary: string, evidence: readonly string[], fix?: string): Finding =>
  fix === undefined ? { check, status, summary, evidence } : { check, status, summary, evidence, fix };
