import { InvalidOptionError, processGlobal, warn } from '@bulwark/core';
import { type BulwarkOptions, type Enabled, enable, flagWords, guardNames, orList } from './enable.js';

const on = new Set(['1', 'true', 'on', 'yes']);
const off = new Set(['', '0', 'false', 'off', 'no']);

/**
 * Reads `BULWARK_<GUARD>` for each guard: `1`/`true`/`on` for its defaults, one of the flag's words
 * (`BULWARK_METRICS=prometheus`), a JSON object for its options, `0`/`false`/`off` or unset to leave
 * it off. `BULWARK_FLEET_REDIS` (a Redis URL) turns the breaker on with every resource in the fleet
 * tier on that Redis.
 */
export function flagsFromEnv(env: NodeJS.ProcessEnv = process.env): BulwarkOptions {
  const flags: Record<string, true | string | object> = {};
  for (const name of guardNames) {
    const variable = `BULWARK_${name.toUpperCase()}`;
    const raw = env[variable]?.trim();
    if (raw === undefined || off.has(raw.toLowerCase())) continue;
    const words = flagWords(name);
    if (on.has(raw.toLowerCase())) flags[name] = true;
    else if (words.includes(raw.toLowerCase())) flags[name] = raw.toLowerCase();
    else if (raw.startsWith('{')) flags[name] = parseJson(variable, raw);
    else throw new InvalidOptionError(variable, raw, orList(['1', '0', ...words, 'a JSON object of options']));
  }
  const fleetRedis = env.BULWARK_FLEET_REDIS?.trim();
  if (fleetRedis) flags.breaker = withFleetRedis(flags.breaker, fleetRedis);
  for (const variable of Object.keys(env))
    if (/^BULWARK_[A-Z]+$/.test(variable) && !guardNames.some((n) => variable === `BULWARK_${n.toUpperCase()}`))
      warn(
        'bulwark',
        'BULWARK_ENV_UNKNOWN_GUARD',
        `${variable} names no guard; known: ${guardNames.map((n) => `BULWARK_${n.toUpperCase()}`).join(', ')}`,
      );
  return flags as BulwarkOptions;
}

/** `BULWARK_FLEET_REDIS=redis://…`: the breaker on, every resource in the fleet on that Redis. */
function withFleetRedis(breaker: unknown, redis: string): object {
  const options = (typeof breaker === 'object' ? breaker : {}) as { fleet?: object };
  return { ...options, fleet: { ...options.fleet, redis } };
}

function parseJson(variable: string, raw: string): object {
  try {
    return JSON.parse(raw) as object;
  } catch (cause) {
    throw new InvalidOptionError(variable, raw, `valid JSON (${(cause as Error).message})`);
  }
}

/** Enables the guards the environment asks for, once per process (ESM and CJS copies share it). */
export function enableFromEnv(env: NodeJS.ProcessEnv = process.env): Enabled {
  const box = registeredBox();
  return (box.handle ??= enable(flagsFromEnv(env)));
}

/** The guards `bulwark/register` enabled in this process, if it ran. */
export function registered(): Enabled | undefined {
  return registeredBox().handle;
}

const registeredBox = () => processGlobal<{ handle?: Enabled }>('registered', () => ({}));
