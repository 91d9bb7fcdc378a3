// Compiled by check-packed.mjs with --module nodenext: the import condition's types resolve.
import 'bulwark/register';
import { type BulwarkOptions, type Enabled, enable, guardNames } from 'bulwark';

const flags: BulwarkOptions = { hup: true };
const enabled: Enabled = enable(flags);
const names: readonly string[] = guardNames;
// @ts-expect-error an unknown flag is a type error
enable({ nosuchguard: true });
await enabled.close();
export { names };
