import { BulwarkError } from '@bulwark/core';

/** `--pid` named a process that does not exist (or is not visible in /proc). */
export class ProcessNotFoundError extends BulwarkError {
  static readonly code = 'ERR_DOCTOR_PROCESS_NOT_FOUND';

  constructor(readonly pid: number) {
    super(`no process ${pid} in /proc`);
  }
}
