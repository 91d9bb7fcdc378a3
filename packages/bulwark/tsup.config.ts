import { packageBuild } from '../../tsup.base.js';

export default packageBuild({
  entry: { index: 'src/index.ts', register: 'src/register.ts', metrics: 'src/metrics/index.ts', bin: 'src/bin.ts' },
});
