/**
 * What a guard adds to an error it lets through after deciding not to retry (or giving up):
 * `err.bulwark = { attempts, retried, reason }`. The error itself stays the dependency's own.
 */
export interface GiveUpFacts<Reason extends string = string> {
  /** Attempts made, the first included. */
  readonly attempts: number;
  /** Whether any attempt was a retry. */
  readonly retried: boolean;
  /** Why no further attempt was made. */
  readonly reason: Reason;
}

/** Sets `err.bulwark` on an object error (a primitive thrown value is left as it is); returns `error`. */
export function addGiveUpFacts<E>(error: E, facts: GiveUpFacts): E {
  if (typeof error === 'object' && error !== null) Object.assign(error, { bulwark: facts });
  return error;
}
