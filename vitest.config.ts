import { configDefaults, defineConfig } from 'vitest/config';

// scripts/test.mjs runs the suite once per Node line (this Node, then 22, 24, 26) and sets
// BULWARK_TEST_LEG=later on every leg after the first. Two file names choose their legs:
//   *.node22.test.ts  needs Node >= 22 (a peer that does: Kysely, opossum 10): runs on 22, 24, 26 only
//   *.once.test.ts    a long soak whose subject does not change with the Node line: first leg only
const nodeMajor = Number(process.versions.node.split('.')[0]);
const laterLeg = process.env.BULWARK_TEST_LEG === 'later';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...(nodeMajor < 22 ? ['**/*.node22.test.ts'] : []), ...(laterLeg ? ['**/*.once.test.ts'] : [])],
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
