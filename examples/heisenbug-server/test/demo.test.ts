import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

describe('heisenbug-server demo', () => {
  it('shows the deaf server green from inside and fixed by the watchdog, and names the blocking function', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(import.meta.dirname, '../demo.mjs')], { timeout: 55_000 });
    expect(stdout).toMatch(
      /^without guard: after the leak 0\/\d+ requests answered.*under-pressure check healthy every time; 0 restarts$/m,
    );
    expect(stdout).toMatch(
      /^with guard: deaf found \d+ ms after the leak, kick SIGURG did not help, report written, exited with code 70.*names rebuildSearchIndex/m,
    );
  });
});
