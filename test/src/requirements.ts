import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import systemPackages from '../../scripts/system-packages.json' with { type: 'json' };

const searchPath = () => [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin'];

/** The absolute path of `command`, looking in PATH and the sbin folders; undefined when absent. */
export function findCommand(command: string): string | undefined {
  for (const dir of searchPath()) {
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/**
 * The absolute path of `command`, or an error naming the install line. Tests call this instead of
 * skipping: a machine without the binary fails with the command that fixes it.
 */
export function requireCommand(command: string): string {
  const found = findCommand(command);
  if (found) return found;
  const entry = systemPackages.commands.find((c) => c.command === command);
  const pkg = entry?.package ?? command;
  throw new Error(
    `${command} is not installed; it is needed for ${entry?.for ?? 'this test'}. ` +
      `Install it with: apt-get install -y ${pkg}   (or run: npm run setup)`,
  );
}
