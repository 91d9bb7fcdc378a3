import { createRequire } from 'node:module';
import { Cleanup, type Guard, closeWith } from '@bulwark/core';
import { type Resource, type ResourceOptions, checkResourceOptions, resource } from '@bulwark/breaker';
import { instrumentMysql2, isTransient, setDefaults } from '@bulwark/mysql';
import type { GuardPlugin } from './plugin.js';

/**
 * What each MySQL host:port gets with `breaker: true`. A Node process runs many queries at once
 * (unlike Semian's one-request Ruby workers), so tickets are a host-wide count, not a quota.
 */
const mysqlResourceDefaults: ResourceOptions = {
  tickets: 32,
  acquireTimeoutMs: 100,
  shareCircuit: true,
  circuit: {
    timeout: false, // a slow query is the database's business; mysql2's own timeout still applies
    volumeThreshold: 10,
    errorThresholdPercentage: 50,
    resetTimeout: 10_000,
    // Only a lost connection says the server is unwell; a syntax error or duplicate key does not.
    errorFilter: (error: unknown) => !isTransient(error),
  },
};

/**
 * `enable({ breaker: true | ResourceOptions })`: as Semian's mysql2 adapter does, every MySQL
 * host:port gets its own host-wide resource (`mysql_<host>_<port>`), and every statement to it
 * goes through that resource's bulkhead and circuit breaker.
 */
export const breaker = {
  enable(options, flags): Guard {
    const given = options === true ? {} : options;
    const settings: ResourceOptions = {
      ...mysqlResourceDefaults,
      ...(given.quota !== undefined ? { tickets: undefined } : {}),
      ...given,
      circuit: { ...mysqlResourceDefaults.circuit, ...given.circuit },
    };
    if (settings.fleet) loadFleet();
    checkResourceOptions(settings);
    const cleanup = new Cleanup();
    const opened = new Set<Resource>();
    const resourceFor = (host: string, port: number) => {
      const opening = resource(`mysql_${host}_${port}`, settings);
      opened.add(opening);
      return opening;
    };
    const previous = setDefaults({});
    setDefaults({ ...previous, resourceFor });
    cleanup.defer(() => void setDefaults(previous));
    cleanup.defer(() => opened.forEach((r) => r.close()));
    // Without the mysql flag, mysql2 is still patched so that its pools reach the resources.
    if (!flags.mysql) {
      const instrumented = instrumentMysql2({ retryReads: false });
      cleanup.defer(() => instrumented.close());
    }
    return closeWith(() => cleanup.run());
  },
} satisfies GuardPlugin<ResourceOptions>;

/** `@bulwark/fleet` (and ioredis) load only when a fleet is asked for; loading it plugs it into the breaker. */
function loadFleet(): void {
  createRequire(import.meta.url)('@bulwark/fleet');
}
