/**
 * A resource's keys in Redis. They share one hash tag, so that the sync script touches one slot and
 * runs on a Redis Cluster.
 */
export function fleetKeys(resource: string): string[] {
  const tag = `bulwark:{${resource}}`;
  return [`${tag}:state`, `${tag}:seen`, `${tag}:votes`, `${tag}:leases`, `${tag}:trial`];
}
