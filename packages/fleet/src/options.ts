import { hostname } from 'node:os';
import { InvalidOptionError, checkNumber, checkOptions, checkString } from '@bulwark/core';
import type { FleetOptions } from '@bulwark/breaker';

export interface Resolved {
  readonly redis: unknown;
  /** Fleet-wide tickets; undefined for no fleet limit (the circuit only). */
  readonly tickets: number | undefined;
  /** A count of hosts (>= 1) or a fraction of the hosts seen (< 1). */
  readonly quorum: number;
  readonly leaseMs: number;
  readonly hostId: string;
  readonly windowMs: number;
  /** How often the host's agent syncs with Redis. */
  readonly syncMs: number;
}

const KNOWN = ['redis', 'tickets', 'quorum', 'leaseMs', 'hostId', 'windowMs'] as const;

/** Checks and defaults the `fleet` options once. */
export function resolveFleet(input: FleetOptions): Resolved {
  const o = checkOptions('fleet', input, KNOWN);
  if (o.redis === undefined || o.redis === null || (typeof o.redis !== 'string' && typeof o.redis !== 'object'))
    throw new InvalidOptionError('fleet.redis', o.redis, 'a Redis URL, ioredis options or an ioredis client');
  if (typeof o.redis === 'string' && !/^rediss?:\/\//.test(o.redis))
    throw new InvalidOptionError('fleet.redis', o.redis, 'a redis:// or rediss:// URL');
  const leaseMs = checkNumber('fleet.leaseMs', o.leaseMs ?? 2_000, { min: 200, max: 600_000 });
  const quorum = checkNumber('fleet.quorum', o.quorum ?? 0.5, { min: 0, max: 100_000 });
  if (quorum === 0 || (quorum > 1 && !Number.isInteger(quorum)))
    throw new InvalidOptionError('fleet.quorum', o.quorum, 'a whole count of hosts (1 or more) or a fraction above 0 and below 1');
  return {
    redis: o.redis,
    tickets: o.tickets === undefined ? undefined : checkNumber('fleet.tickets', o.tickets, { min: 1, max: 1 << 20, integer: true }),
    quorum,
    leaseMs,
    hostId: checkString('fleet.hostId', o.hostId ?? hostname(), /^[\w.-]{1,64}$/),
    windowMs: checkNumber('fleet.windowMs', o.windowMs ?? 10_000, { min: 100, max: 3_600_000 }),
    // Fast enough that an open reaches every host within 200 ms; a few syncs per lease.
    syncMs: Math.min(100, leaseMs / 4),
  };
}
