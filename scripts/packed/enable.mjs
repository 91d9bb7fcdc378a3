// Run by check-packed.mjs in a scratch project that installed the packed tarballs: ESM entry.
import * as bulwark from 'bulwark';
import checkEnable from './enable-check.cjs';

await checkEnable(bulwark, 'import');
