import { configDefaults, defineConfig } from 'vitest/config';

// scripts/test.mjs runs the suite once per Node line (this Node, then 22, 24, 26) and sets
// BULWARK_TEST_LEG=later on every leg after the first. Two file names choose their legs:
//   *.node22.test.ts  needs Node >= 22 (a peer that does: Kysely, opossum 10): runs on 22, 24, 26 only
//   *.once.test.ts    a long soak whose subject does not change with the Node line: first leg only
// The later legs run every test of what depends on the Node line (core, eintr, mysql's hook into
// mysql2, the breaker's native addon, hup's signals and loader hooks, the watchdog's inspector and
// threads, enable() and register); the files below run on the first leg only, to keep `npm test`
// within 15 minutes on two cores. Each line says why the Node line does not change what it tests.
const firstLegOnly = [
  '**/*.once.test.ts',
  'examples/*/test/**', // each story end to end, over guards the later legs test file by file
  'packages/mysql/test/orm/!(*.node22).test.ts', // the ORMs over mysql2: the hook they rely on is packages/mysql's (every leg)
  'packages/bulwark/test/doctor-*.test.ts', // reads /proc and the host's configuration from outside the process
  'packages/bulwark/test/metrics*.test.ts', // prom-client and OTel bookkeeping on the channels (published on every leg)
  'packages/bulwark/test/fleet.test.ts', // the fleet flag's options, over packages/fleet
  'packages/fleet/test/**', // Redis scripts and leases over the breaker's shared memory (the breaker runs on every leg)
  'test/test/**', // the rig's own tests
];
const nodeMajor = Number(process.versions.node.split('.')[0]);
const laterLeg = process.env.BULWARK_TEST_LEG === 'later';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...(nodeMajor < 22 ? ['**/*.node22.test.ts'] : []), ...(laterLeg ? firstLegOnly : [])],
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
