/**
 * The checks of a WatchInput (StreamService.Watch): names and ids by the
 * document rules (model/keys.ts), at most one of id_prefix and ids, at most
 * MAX_WATCH_IDS ids, a progress interval within bounds, no start revision
 * with an initial snapshot.
 */
import { invalid } from '../errors/db-error.js';
import { validateCollection, validateExistingId, validateIdPrefix } from '../model/keys.js';
import type { WatchInput } from '../api/stream-api.js';

/** The most ids one watch may name. */
export const MAX_WATCH_IDS = 1000;
/** Bounds and default of progress_interval, in ms. */
export const PROGRESS_INTERVAL_MS = { min: 100, max: 60_000, default: 10_000 } as const;

/** Throws DbError invalid (with the field) unless `input` is a valid watch. */
export function validateWatchInput(input: WatchInput): void {
  validateCollection(input.collection);
  const ids = input.ids ?? [];
  if (ids.length > 0 && (input.idPrefix ?? '') !== '') {
    throw invalid('INVALID_ARGUMENT', 'ids', 'give at most one of id_prefix and ids');
  }
  if (ids.length > MAX_WATCH_IDS) throw invalid('INVALID_ARGUMENT', 'ids', `at most ${MAX_WATCH_IDS} ids per watch (got ${ids.length})`);
  ids.forEach((id, i) => validateExistingId(id, `ids[${i}]`));
  if (input.idPrefix !== undefined) validateIdPrefix(input.idPrefix);
  if (!Number.isSafeInteger(input.afterRevision) || input.afterRevision < 0) {
    throw invalid('INVALID_ARGUMENT', 'after_revision', 'after_revision must be 0 or a revision received earlier');
  }
  if (input.initialSnapshot === true && input.afterRevision !== 0) {
    throw invalid('INVALID_ARGUMENT', 'after_revision', 'initial_snapshot starts from now: after_revision must be 0');
  }
  const ms = input.progressIntervalMs;
  if (ms < PROGRESS_INTERVAL_MS.min || ms > PROGRESS_INTERVAL_MS.max) {
    throw invalid(
      'INVALID_ARGUMENT',
      'progress_interval',
      `progress_interval must be between ${PROGRESS_INTERVAL_MS.min} ms and ${PROGRESS_INTERVAL_MS.max / 1000} s`,
    );
  }
}
