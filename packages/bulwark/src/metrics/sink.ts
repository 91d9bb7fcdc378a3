import type { Recorder } from './feeds.js';

/** A backend: records what the feeds see, and removes what it registered on `close()`. */
export interface Sink extends Recorder {
  close(): void;
}
