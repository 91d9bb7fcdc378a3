import { packageBuild } from '../../tsup.base.js';

// worker.ts runs in the watchdog's own thread; it ships as dist/worker.js next to the entry.
export default packageBuild({ entry: ['src/index.ts', 'src/worker.ts'], dts: { entry: 'src/index.ts' } });
