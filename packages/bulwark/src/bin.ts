#!/usr/bin/env node
// `bulwark <command>`: the package's command line. One command so far: `doctor`.
import { runDoctor, usage } from './doctor/cli.js';

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'doctor') {
    process.stderr.write(`${command === undefined ? '' : `bulwark: unknown command ${command}\n\n`}${usage}\n`);
    return 2;
  }
  const { code, stdout, stderr } = await runDoctor(rest);
  process.stdout.write(stdout);
  process.stderr.write(stderr);
  return code;
}

// Not process.exit(): the output drains first and nothing else holds the process.
main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`bulwark: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 2;
  },
);
