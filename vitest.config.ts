import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    // Real processes, real servers: generous limits, never timing thresholds.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // One private MariaDB for the run (tests reach it with inject('mariadb')).
    globalSetup: ['test/src/vitest-mariadb.ts'],
    pool: 'forks',
    // Two cores: the multi-process tests measure concurrency, so files run two at a time.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
