import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readOr, readText, under } from './read.js';

/** logind's RemoveIPC as configured, and where that came from. */
export interface RemoveIpc {
  readonly enabled: boolean;
  /** `/etc/systemd/logind.conf.d/x.conf: RemoveIPC=no`, or the default's wording. */
  readonly source: string;
}

const mainFiles = [
  '/etc/systemd/logind.conf',
  '/run/systemd/logind.conf',
  '/usr/local/lib/systemd/logind.conf',
  '/usr/lib/systemd/logind.conf',
];
const dropInDirs = [
  '/etc/systemd/logind.conf.d',
  '/run/systemd/logind.conf.d',
  '/usr/local/lib/systemd/logind.conf.d',
  '/usr/lib/systemd/logind.conf.d',
];

/**
 * RemoveIPC the way systemd-logind reads it: the first main logind.conf found, then every
 * `logind.conf.d/*.conf` (a name in /etc hides the same name further down), in name order, the
 * last setting winning. Unset means systemd's default: yes.
 */
export function removeIpc(root: string): RemoveIpc {
  let result: RemoveIpc = { enabled: true, source: "not set in logind.conf or logind.conf.d: systemd's default RemoveIPC=yes" };
  const main = mainFiles.find((f) => readText(under(root, f)) !== undefined);
  for (const file of [...(main ? [main] : []), ...dropIns(root)]) {
    const value = loginSetting(readText(under(root, file)) ?? '', 'RemoveIPC');
    if (value === undefined) continue;
    const enabled = parseBoolean(value);
    if (enabled !== undefined) result = { enabled, source: `${file}: RemoveIPC=${value}` };
  }
  return result;
}

function dropIns(root: string): string[] {
  const byName = new Map<string, string>();
  for (const dir of dropInDirs) {
    const names = readOr(() => readdirSync(under(root, dir)), [] as string[]);
    for (const name of names) if (name.endsWith('.conf') && !byName.has(name)) byName.set(name, join(dir, name));
  }
  return [...byName.keys()].sort().map((name) => byName.get(name)!);
}

/** The last `key=value` of the [Login] section. */
function loginSetting(text: string, key: string): string | undefined {
  let section = '';
  let value: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.startsWith('[')) section = line;
    else if (section === '[Login]' && line.slice(0, line.indexOf('=')).trim() === key) value = line.slice(line.indexOf('=') + 1).trim();
  }
  return value;
}

function parseBoolean(value: string): boolean | undefined {
  const v = value.toLowerCase();
  if (['yes', 'y', 'true', 't', 'on', '1'].includes(v)) return true;
  if (['no', 'n', 'false', 'f', 'off', '0'].includes(v)) return false;
  return undefined;
}

/** SYS_UID_MAX from login.defs: the highest uid that counts as a system user. */
export function sysUidMax(root: string): { value: number; source: string } {
  const text = readText(under(root, '/etc/login.defs')) ?? '';
  const line = text
    .split('\n')
    .map((l) => l.trim())
    .findLast((l) => /^SYS_UID_MAX\s+\d+$/.test(l));
  if (line) return { value: Number(line.split(/\s+/)[1]), source: `/etc/login.defs: ${line.replace(/\s+/, ' ')}` };
  return { value: 999, source: `/etc/login.defs: SYS_UID_MAX not set, default 999` };
}
