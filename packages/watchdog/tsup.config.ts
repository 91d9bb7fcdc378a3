import { defineConfig } from 'tsup';

export default defineConfig({
  // worker.ts runs in the watchdog's own thread; it ships as dist/worker.js next to the entry.
  entry: ['src/index.ts', 'src/worker.ts'],
  format: ['esm', 'cjs'],
  dts: { entry: 'src/index.ts' },
  clean: true,
  sourcemap: true,
  shims: true,
  target: 'node20',
});
