import { constants, fstatSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';

const { O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_EXCL, O_APPEND } = constants;
const O_ACCMODE = 3;

const writeFlags: Readonly<Record<string, number>> = {
  w: O_WRONLY | O_CREAT | O_TRUNC,
  wx: O_WRONLY | O_CREAT | O_TRUNC | O_EXCL,
  xw: O_WRONLY | O_CREAT | O_TRUNC | O_EXCL,
  'w+': O_RDWR | O_CREAT | O_TRUNC,
  'wx+': O_RDWR | O_CREAT | O_TRUNC | O_EXCL,
  'xw+': O_RDWR | O_CREAT | O_TRUNC | O_EXCL,
};

/**
 * The numeric flags that open a file as `flags` does but in append mode, for the `'w'` family
 * (which truncate and then write sequentially, so appending is the same file, byte for byte);
 * undefined for flags already appending or that write at positions (`'r+'`).
 */
export function appendFlags(flags: string | number): number | undefined {
  if (typeof flags === 'number') return undefined;
  const base = writeFlags[flags];
  return base === undefined ? undefined : base | O_APPEND;
}

/** The open flags of `fd` from `/proc/self/fdinfo` (octal there), or undefined off Linux or for a closed fd. */
export function fdFlags(fd: number): number | undefined {
  try {
    const line = readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1')
      .split('\n')
      .find((l) => l.startsWith('flags:'));
    return line === undefined ? undefined : parseInt(line.slice('flags:'.length).trim(), 8);
  } catch {
    return undefined; // no procfs here, or the fd was closed meanwhile: nothing to say about it
  }
}

/** True when `fd` is open for writing without O_APPEND (known only where /proc exists). */
export function writesWithoutAppend(fd: number): boolean {
  const flags = fdFlags(fd);
  return flags !== undefined && (flags & O_ACCMODE) !== 0 && (flags & O_APPEND) === 0;
}

/** True when `fd` is open for writing, as far as /proc tells. */
export function writes(fd: number): boolean {
  const flags = fdFlags(fd);
  return flags !== undefined && (flags & O_ACCMODE) !== 0;
}

/**
 * True when `fd` is a regular file. The bigint form on purpose: on Node 20 a plain fstatSync of a
 * pipe (stdout piped) fills the stat array Node's module resolver shares, and the next ESM import
 * of a CommonJS package under a patched `Module._load` resolves from the symlink (pnpm: fails).
 */
export function isRegularFile(fd: number): boolean {
  try {
    return fstatSync(fd, { bigint: true }).isFile();
  } catch {
    return false; // closed meanwhile
  }
}

/**
 * Whether `path` still names the file open on `fd`: `same`, `moved` (the path names another file
 * or none: logrotate renamed or deleted it), or `closed` (fd no longer open).
 */
export function pathState(fd: number, path: string): 'same' | 'moved' | 'closed' {
  let open;
  try {
    open = fstatSync(fd, { bigint: true });
  } catch {
    return 'closed';
  }
  const now = statSync(path, { throwIfNoEntry: false, bigint: true });
  return now !== undefined && now.ino === open.ino && now.dev === open.dev ? 'same' : 'moved';
}

/** A regular file open for writing, by fd, with the name /proc gives it now. */
export interface OpenFile {
  readonly fd: number;
  /** `readlink /proc/self/fd/<fd>`: the file's current name, ` (deleted)` appended once deleted. */
  readonly link: string;
}

/** Every fd of the process whose link looks like a file on disk (`/...`), with that link. */
export function fileLinks(): Map<number, string> {
  const links = new Map<number, string>();
  let fds: string[];
  try {
    fds = readdirSync('/proc/self/fd');
  } catch {
    return links; // no procfs: nothing can be checked
  }
  for (const name of fds) {
    const fd = Number(name);
    try {
      const link = readlinkSync(`/proc/self/fd/${name}`);
      if (link.startsWith('/') && !link.startsWith('/dev/') && !link.startsWith('/proc/')) links.set(fd, link);
    } catch {
      // readdir's own fd, or one closed since the listing
    }
  }
  return links;
}
