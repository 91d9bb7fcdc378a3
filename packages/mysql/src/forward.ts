/** Marks a wrapped pool or connection, so wrapping twice returns it unchanged. */
const kWrapped = Symbol.for('bulwark.mysql.wrapped');

/**
 * A Proxy that looks like `target` (same prototype, `instanceof` and properties) but answers
 * `overrides` first and forwards everything else to `current()` (a connection swapped for a
 * fresh one keeps working through the same object). Methods are bound to the current object.
 */
export function forward<T extends object>(target: T, current: () => object, overrides: Record<PropertyKey, unknown>): T {
  const bound = new WeakMap<object, Map<PropertyKey, unknown>>();
  return new Proxy(target, {
    get(_target, property) {
      if (property === kWrapped) return true;
      if (Object.hasOwn(overrides, property)) return overrides[property];
      const object = current();
      const value = Reflect.get(object, property, object) as unknown;
      if (typeof value !== 'function') return value;
      let cache = bound.get(object);
      if (!cache) bound.set(object, (cache = new Map()));
      let fn = cache.get(property) as { original: unknown; bound: unknown } | undefined;
      if (!fn || fn.original !== value) cache.set(property, (fn = { original: value, bound: (value as (...a: unknown[]) => unknown).bind(object) }));
      return fn.bound;
    },
    set(_target, property, value) {
      return Reflect.set(current(), property, value);
    },
    has(_target, property) {
      return property in overrides || property in current();
    },
  });
}

/** True when `value` is already a bulwark-wrapped pool or connection. */
export function isWrapped(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { [kWrapped]?: boolean })[kWrapped] === true;
}

/** A patched mysql2 factory keeps its original here, so `close()` and `@bulwark/mysql` itself can reach it. */
export const kOriginal = Symbol.for('bulwark.mysql.original');

/** The function mysql2 exported before bulwark patched it. */
export function original<F>(fn: F): F {
  return ((fn as { [kOriginal]?: F } | undefined)?.[kOriginal] as F) ?? fn;
}
