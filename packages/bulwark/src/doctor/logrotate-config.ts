import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readOr, readText, under } from './read.js';

/** The directives of a logrotate block that decide how a writer survives rotation. */
export interface RotateSettings {
  readonly copytruncate: boolean;
  readonly copy: boolean;
  readonly create: boolean;
  readonly sharedscripts: boolean;
  readonly olddir: string | null;
  /** The postrotate script, or null. */
  readonly postrotate: string | null;
  /** The prerotate script, or null (it also runs once per log without sharedscripts). */
  readonly prerotate: string | null;
}

/** One `patterns { ... }` block, with the global settings it inherited. */
export interface RotateBlock extends RotateSettings {
  /** The config file (as named on the host, not under --root) and the line of the `{`. */
  readonly file: string;
  readonly line: number;
  readonly patterns: readonly string[];
}

// Built-in defaults of logrotate 3.x: rename without create, scripts once per log.
const defaults: RotateSettings = {
  copytruncate: false,
  copy: false,
  create: false,
  sharedscripts: false,
  olddir: null,
  postrotate: null,
  prerotate: null,
};
const SCRIPTS = new Set(['postrotate', 'prerotate', 'firstaction', 'lastaction', 'preremove']);
// Names include skips in a folder (logrotate's default tabooext).
const TABOO =
  /(\.rpmsave|\.rpmorig|~|\.disabled|\.dpkg-old|\.dpkg-dist|\.dpkg-new|\.cfsaved|\.ucf-old|\.ucf-dist|\.ucf-new|\.rpmnew|\.swp|\.cfsaved|\.rhn-cfg-tmp-.*)$/;

/**
 * Every block of logrotate's configuration: `/etc/logrotate.conf` and what it includes (files,
 * folders), read under `root`. Global directives apply to the blocks after them, as in logrotate.
 */
export function readLogrotateConfig(root: string, file = '/etc/logrotate.conf'): RotateBlock[] {
  const blocks: RotateBlock[] = [];
  parseFile(root, file, { ...defaults }, blocks, new Set());
  return blocks;
}

function parseFile(root: string, file: string, globals: Mutable<RotateSettings>, blocks: RotateBlock[], seen: Set<string>): void {
  if (seen.has(file)) return;
  seen.add(file);
  const lines = (readText(under(root, file)) ?? '').split('\n');
  let pending: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const tokens = tokenize(line);
    const brace = tokens.indexOf('{');
    if (brace >= 0) {
      const settings: Mutable<RotateSettings> = { ...globals };
      const line = i + 1;
      i = parseBlock(lines, i + 1, settings);
      blocks.push({ file, line, ...settings, patterns: [...pending, ...tokens.slice(0, brace)] });
      pending = [];
      continue;
    }
    if (isPattern(tokens[0]!)) pending.push(...tokens);
    else if (tokens[0] === 'include' && tokens[1]) include(root, tokens[1], globals, blocks, seen);
    else apply(globals, tokens);
  }
}

/** Applies the block's lines from `start` to its `}`; returns the index of that line. */
function parseBlock(lines: readonly string[], start: number, settings: Mutable<RotateSettings>): number {
  for (let i = start; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('}')) return i;
    const tokens = tokenize(line);
    if (!SCRIPTS.has(tokens[0]!)) {
      apply(settings, tokens);
      continue;
    }
    const body: string[] = [];
    for (i++; i < lines.length && lines[i]!.trim() !== 'endscript'; i++) body.push(lines[i]!.trim());
    if (tokens[0] === 'postrotate') settings.postrotate = body.join('\n');
    if (tokens[0] === 'prerotate') settings.prerotate = body.join('\n');
  }
  return lines.length;
}

function apply(settings: Mutable<RotateSettings>, [word, arg]: readonly string[]): void {
  if (word === 'copytruncate' || word === 'nocopytruncate') settings.copytruncate = word === 'copytruncate';
  else if (word === 'copy' || word === 'nocopy') settings.copy = word === 'copy';
  else if (word === 'create' || word === 'nocreate') settings.create = word === 'create';
  else if (word === 'sharedscripts' || word === 'nosharedscripts') settings.sharedscripts = word === 'sharedscripts';
  else if (word === 'olddir') settings.olddir = arg ?? null;
  else if (word === 'noolddir') settings.olddir = null;
}

function include(root: string, path: string, globals: Mutable<RotateSettings>, blocks: RotateBlock[], seen: Set<string>): void {
  const isDir = readOr(() => statSync(under(root, path)).isDirectory(), false);
  if (!isDir) return parseFile(root, path, globals, blocks, seen);
  const names = readOr(() => readdirSync(under(root, path)), [] as string[]).filter((n) => !n.startsWith('.') && !TABOO.test(n));
  for (const name of names.sort()) parseFile(root, join(path, name), globals, blocks, seen);
}

/** A line's words; "double quoted" words keep their spaces, `{` and `}` stand alone. */
function tokenize(line: string): string[] {
  const tokens: string[] = [];
  for (const m of line.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|([{}])|([^\s{}"']+)/g))
    tokens.push(m[1]?.replace(/\\(.)/g, '$1') ?? m[2] ?? m[3] ?? m[4]!);
  return tokens;
}

const isPattern = (word: string): boolean => word.startsWith('/') || word.startsWith('~') || /[*?[]/.test(word);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
