import { type Options, defineConfig } from 'tsup';

/**
 * How every package builds: ESM and CJS with a .d.ts for each, for Node 20. `shims` gives the CJS
 * build `import.meta.url` (createRequire, worker paths). A package passes only what differs.
 */
export function packageBuild(options: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    shims: true,
    target: 'node20',
    ...options,
  });
}
