/**
 * One value per process, shared by every copy of bulwark loaded in it (ESM and CJS side by side):
 * kept on `globalThis` under `Symbol.for('bulwark.<name>')`, created on first use.
 */
export function processGlobal<T>(name: string, create: () => T): T {
  const store = globalThis as Record<symbol, T | undefined>;
  const key = Symbol.for(`bulwark.${name}`);
  return (store[key] ??= create());
}
