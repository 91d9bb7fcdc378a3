// Run by check-packed.mjs: every packed package loads through both `import` and `require`.
import { strict as assert } from 'node:assert';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
for (const name of process.argv.slice(2)) {
  const esm = await import(name);
  const cjs = require(name);
  assert.ok(Object.keys(esm).length > 0, `${name} exports nothing through import`);
  assert.deepEqual(
    Object.keys(cjs).sort(),
    Object.keys(esm)
      .filter((k) => k !== 'default')
      .sort(),
    `${name} exports the same names to import and require`,
  );
}
console.log(`OK load: ${process.argv.slice(2).join(', ')}`);
