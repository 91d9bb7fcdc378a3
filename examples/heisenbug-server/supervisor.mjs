// A minimal supervisor: runs server.mjs and starts it again whenever it exits.
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';

/** Runs the server, restarting it on exit, until stop(). Emits 'line' (parsed JSON) and 'exit'. */
export function supervise(env) {
  const events = new EventEmitter();
  let child;
  let stopped = false;
  let generation = 0;
  const start = () => {
    generation++;
    child = spawn(process.execPath, [join(import.meta.dirname, 'server.mjs')], {
      env: { ...process.env, ...env, GENERATION: String(generation) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr.setEncoding('utf8').on('data', (chunk) => events.emit('stderr', chunk));
    let buffered = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop();
      for (const line of lines) if (line.startsWith('{')) events.emit('line', { ...JSON.parse(line), generation });
    });
    child.on('exit', (code, signal) => {
      events.emit('exit', { code, signal, generation, at: Date.now() });
      if (!stopped) start();
    });
  };
  start();
  events.stop = () => {
    stopped = true;
    child.kill('SIGKILL');
  };
  return events;
}
