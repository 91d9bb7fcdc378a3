/** What every guard returns: something to close. `close()` is idempotent and removes all it added. */
export interface Guard {
  close(): void | Promise<void>;
}
