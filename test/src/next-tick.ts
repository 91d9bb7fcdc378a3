/**
 * Collects what callbacks on the next ticks throw (a guard surfacing an observer's error), instead
 * of letting the test runner see an uncaught exception. `restore()` puts `process.nextTick` back.
 */
export function catchNextTickThrows(): { readonly thrown: unknown[]; restore(): void } {
  const thrown: unknown[] = [];
  const real = process.nextTick;
  process.nextTick = ((fn: (...args: unknown[]) => void, ...args: unknown[]) =>
    real(() => {
      try {
        fn(...args);
      } catch (error) {
        thrown.push(error);
      }
    })) as typeof process.nextTick;
  return { thrown, restore: () => void (process.nextTick = real) };
}
