#!/usr/bin/env node
// Runs mysql2's own integration suite (test/integration and test/global, one file per process as its
// runner does) against a private MariaDB, raw and under the bulwark flag, and prints both pass sets
// and their difference. Fetches nothing: give it a checkout of mysql2's repository, in a directory
// named `mysql2`, with its dev dependencies installed (`npm install`).
//
//   node scripts/mysql2-suite.mjs /path/to/mysql2 [--jobs 3] [--only <substring,...>] [--cache results.json]
//
// Every flagged test process proves the hook was active on the suite's own mysql2 classes by
// writing a marker at exit (scripts/mysql2-suite/marker.mjs); a flagged pass without it fails.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { MariaDb } from '../test/dist/index.js';

// The test rig's own mysql2 (the root has none).
const mysql = createRequire(new URL('../test/package.json', import.meta.url))('mysql2/promise');

const args = process.argv.slice(2);
const suite = resolve(args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--')) ?? '');
const jobs = Number(args[args.indexOf('--jobs') + 1] ?? 0) || 3;
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
// Results of earlier runs, kept by mode and file, so an interrupted run picks up where it stopped.
const cachePath = args.includes('--cache') ? resolve(args[args.indexOf('--cache') + 1]) : undefined;
const cache = cachePath && existsSync(cachePath) ? JSON.parse(readFileSync(cachePath, 'utf8')) : {};
if (basename(suite) !== 'mysql2' || !existsSync(join(suite, 'lib', 'base', 'connection.js')))
  throw new Error(`give the path of a mysql2 checkout in a directory named mysql2 (got ${suite})`);
if (!existsSync(join(suite, 'node_modules', 'tsx')))
  throw new Error(`install the suite's dev dependencies first: (cd ${suite} && npm install)`);

const register = pathToFileURL(fileURLToPath(new URL('../packages/bulwark/dist/register.js', import.meta.url))).href;
const marker = pathToFileURL(fileURLToPath(new URL('./mysql2-suite/marker.mjs', import.meta.url))).href;

function testFiles(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...testFiles(path));
    else if (/\.test\.m?[jt]s$/.test(name)) found.push(path);
  }
  return found;
}

/** Runs one file in its own node process; resolves with whether it passed (and, flagged, whether the hook was active). */
function runFile(file, flagged, db, markers) {
  // mysql2's runner allows 30 s (60 s for global); a loaded shared machine needs more, so it gets three times that.
  const timeoutMs = file.includes(`${'/'}global${'/'}`) ? 180_000 : 90_000;
  const markerFile = join(markers, `${relative(suite, file).replaceAll('/', '__')}.json`);
  const execArgv = ['--import', 'tsx', ...(flagged ? ['--import', marker, '--import', register] : [])];
  const env = {
    ...process.env,
    MYSQL_HOST: db.host,
    MYSQL_PORT: String(db.port),
    MYSQL_USER: 'root',
    MYSQL_PASSWORD: '',
    MYSQL_DATABASE: 'test',
    CI: '',
    BULWARK_MYSQL: flagged ? '1' : '',
    MARKER_FILE: flagged ? markerFile : '',
    SUITE_ROOT: suite,
  };
  return new Promise((done) => {
    const child = spawn(process.execPath, [...execArgv, file], { cwd: suite, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output = (output + d).slice(-4000)));
    child.stderr.on('data', (d) => (output = (output + d).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      let hooked = !flagged;
      if (flagged && existsSync(markerFile)) hooked = JSON.parse(readFileSync(markerFile, 'utf8')).hooked;
      done({ passed: code === 0 && signal === null && hooked, code, signal, hooked, output });
    });
  });
}

/** Runs every file raw and flagged (the two runs of a file one after the other), `jobs` files at a time. */
async function runAll(files, db, markers) {
  const results = { raw: new Map(), flagged: new Map() };
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const file = files[next++];
      const key = relative(suite, file);
      for (const mode of ['raw', 'flagged']) {
        const result = (cache[mode] ??= {})[key] ?? (await runFile(file, mode === 'flagged', db, markers));
        results[mode].set(file, result);
        cache[mode][key] = { ...result, output: result.passed ? '' : result.output };
        if (cachePath) writeFileSync(cachePath, JSON.stringify(cache));
      }
      const [raw, flagged] = [results.raw.get(file).passed, results.flagged.get(file).passed];
      process.stderr.write(`${raw ? 'pass' : 'FAIL'} ${flagged ? 'pass' : 'FAIL'}  ${key}\n`);
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  return results;
}

const db = await MariaDb.start();
const markers = mkdtempSync(join(tmpdir(), 'bulwark-mysql2-markers-'));
try {
  const admin = await mysql.createConnection({ host: db.host, port: db.port, user: 'root' });
  await admin.query('CREATE DATABASE IF NOT EXISTS test');
  await admin.end();
  const files = [...testFiles(join(suite, 'test', 'integration')), ...testFiles(join(suite, 'test', 'global'))].filter(
    (f) => !only || only.split(',').some((o) => f.includes(o)),
  );
  console.log(`mysql2 suite at ${suite}: ${files.length} files, ${jobs} at a time, MariaDB on ${db.host}:${db.port}`);
  const { raw, flagged } = await runAll(files, db, markers);
  const name = (f) => relative(suite, f);
  const rawPass = files.filter((f) => raw.get(f).passed);
  const flaggedPass = files.filter((f) => flagged.get(f).passed);
  const unhooked = files.filter((f) => !flagged.get(f).hooked);
  const lost = rawPass.filter((f) => !flagged.get(f).passed);
  const gained = flaggedPass.filter((f) => !raw.get(f).passed);
  console.log(`raw:     ${rawPass.length}/${files.length} pass`);
  console.log(
    `flagged: ${flaggedPass.length}/${files.length} pass (hook active in ${files.length - unhooked.length}/${files.length} processes)`,
  );
  for (const f of files.filter((f) => !raw.get(f).passed)) console.log(`  fails raw:   ${name(f)}`);
  for (const f of unhooked) console.log(`  hook not active: ${name(f)}`);
  for (const f of lost) console.log(`  REGRESSION under the flag: ${name(f)}\n${flagged.get(f).output.split('\n').slice(-25).join('\n')}`);
  for (const f of gained) console.log(`  passes only flagged: ${name(f)}`);
  console.log(lost.length === 0 ? 'every file that passes raw passes under the flag' : `${lost.length} regressions`);
  process.exitCode = lost.length === 0 && unhooked.length === 0 ? 0 : 1;
} finally {
  rmSync(markers, { recursive: true, force: true });
  await db.close();
}
