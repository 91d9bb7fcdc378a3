import type { MariaDbAddress } from './mariadb.js';

/**
 * The run's shared MariaDB from `inject('mariadb')` (see vitest-mariadb.ts), or the reason it could
 * not start, thrown so the test fails with the install line.
 */
export function sharedMariaDb(provided: MariaDbAddress | string | undefined): MariaDbAddress {
  if (provided === undefined) throw new Error('no shared MariaDB: add test/src/vitest-mariadb.ts to globalSetup in vitest.config.ts');
  if (typeof provided === 'string') throw new Error(provided);
  return provided;
}
