import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import * as esm from '../dist/index.js';

const cjs = createRequire(import.meta.url)('../dist/index.cjs') as typeof esm;

describe('process-wide helpers', () => {
  it('processGlobal gives the ESM and CJS copies the same value, created once', () => {
    let created = 0;
    const a = esm.processGlobal('test.shared', () => ({ n: ++created }));
    const b = cjs.processGlobal('test.shared', () => ({ n: ++created }));
    expect(b).toBe(a);
    expect(created).toBe(1);
  });

  it('procStatFields reads a stat file past a command name with spaces and parentheses', () => {
    const fields = esm.procStatFields(`/proc/${process.pid}/stat`);
    expect(fields?.[0]).toBe('R');
    expect(Number(fields?.[19])).toBeGreaterThan(0);
    expect(esm.procStatFields('/proc/0/stat')).toBeUndefined();
  });

  it('sleepSync blocks the thread for the time asked', () => {
    const started = performance.now();
    esm.sleepSync(20);
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
  });
});
