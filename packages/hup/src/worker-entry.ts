// Imported first by a pino transport's worker thread (see discover.ts): serves the main thread's reopens there.
import { isMainThread } from 'node:worker_threads';
import { serveWorkerReopens } from './worker.js';

if (!isMainThread) serveWorkerReopens();
