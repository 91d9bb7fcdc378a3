import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readOr } from './read.js';

const GLOB_CHARS = /[*?[]/;

/** The body of a regular expression matching what glob(3) matches: `*`, `?`, `[...]`, within one path segment. */
export function globSource(pattern: string): string {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[' && pattern.indexOf(']', i + 2) > i) {
      const end = pattern.indexOf(']', i + 2);
      const body = pattern
        .slice(i + 1, end)
        .replace(/^!/, '^')
        .replace(/\\/g, '\\\\');
      source += `[${body}]`;
      i = end;
    } else source += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return source;
}

/** Whether `path` matches the glob `pattern`. */
export const globMatches = (pattern: string, path: string): boolean => new RegExp(`^${globSource(pattern)}$`).test(path);

/** The existing paths the glob `pattern` names (segment by segment, dot files only when asked for). */
export function expandGlob(pattern: string): string[] {
  if (!GLOB_CHARS.test(pattern)) return existsSync(pattern) ? [pattern] : [];
  let paths = ['/'];
  for (const segment of pattern.split('/').filter(Boolean)) {
    const next: string[] = [];
    for (const dir of paths) {
      if (!GLOB_CHARS.test(segment)) {
        next.push(join(dir, segment));
        continue;
      }
      const matcher = new RegExp(`^${globSource(segment)}$`);
      const names = readOr(() => readdirSync(dir), [] as string[]);
      for (const name of names) if (matcher.test(name) && (!name.startsWith('.') || segment.startsWith('.'))) next.push(join(dir, name));
    }
    paths = next;
  }
  return paths.filter((p) => existsSync(p));
}
