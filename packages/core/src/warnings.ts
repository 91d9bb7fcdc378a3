import { publish } from './events.js';

/** The one warning type every guard emits: `process.on('warning', w => w.name === 'BulwarkWarning')`. */
export const warningType = 'BulwarkWarning';

/** What `bulwark:<guard>:warning` carries. */
export interface WarningEvent {
  readonly code: string;
  readonly message: string;
}

/**
 * Surfaces a guard's own trouble that must not fail the guarded work (a report not written, a
 * re-join of shared memory that failed, a log it cannot reopen): a `BulwarkWarning` with a stable
 * code on `process`, and the same on `bulwark:<guard>:warning`. Never a silent `catch {}`.
 */
export function warn(guard: string, code: string, message: string): void {
  publish(guard, 'warning', { code, message } satisfies WarningEvent);
  process.emitWarning(message, { type: warningType, code });
}

/** `warn()` for a caught error: its message, with `context` in front. */
export function warnError(guard: string, code: string, context: string, error: unknown): void {
  warn(guard, code, `${context}: ${error instanceof Error ? error.message : String(error)}`);
}
