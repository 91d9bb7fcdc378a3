import { readFileSync } from 'node:fs';

/**
 * The fields of a `/proc/<pid>/stat` or `/proc/self/task/<tid>/stat` file after the command name,
 * so that `fields[0]` is the state (`R`, `S`, `D`, `Z`, ...) and `fields[19]` the start time.
 * Undefined when the process or thread is gone.
 */
export function procStatFields(path: string): string[] | undefined {
  let stat: string;
  try {
    stat = readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
  // The command name may hold spaces and parentheses: fields are counted after the last ')'.
  return stat
    .slice(stat.lastIndexOf(')') + 2)
    .trim()
    .split(' ');
}
