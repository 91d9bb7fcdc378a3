// vitest globalSetup: one private MariaDB shared by the whole run, handed to tests with `inject('mariadb')`.
// Tests that stop, restart or kill a server start their own with `MariaDb.start()`.
import type { TestProject } from 'vitest/node';
import { MariaDb, type MariaDbAddress } from './mariadb.js';
import { findCommand } from './requirements.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's shared MariaDB, or why it could not start (a test that needs it throws that). */
    mariadb: MariaDbAddress | string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!findCommand('mariadbd') || !findCommand('mariadb-install-db')) {
    project.provide('mariadb', 'mariadbd is not installed. Install it with: apt-get install -y mariadb-server   (or run: npm run setup)');
    return async () => {};
  }
  const server = await MariaDb.start();
  project.provide('mariadb', server.address);
  // An interrupted run still ends the server: the rig's exit hook SIGKILLs it, and setpriv's
  // parent-death signal does when this process itself is SIGKILLed.
  return () => server.close();
}
