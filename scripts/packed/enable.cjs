// Run by check-packed.mjs in a scratch project that installed the packed tarballs: CJS entry.
require('./enable-check.cjs')(require('bulwark'), 'require').catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
