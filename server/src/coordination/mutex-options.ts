import { DbError, invalid } from '../errors/db-error.js';
import type { MutexOptions } from './coordinator.js';

/** Throws DbError invalid INVALID_ARGUMENT unless the mutex options are usable. */
export function validateMutexOptions(name: string, options: MutexOptions): void {
  if (typeof name !== 'string' || name.length === 0) throw invalid('INVALID_ARGUMENT', 'name', 'mutex name must not be empty');
  if (!Number.isFinite(options.ttlMs) || options.ttlMs < 1) {
    throw invalid('INVALID_ARGUMENT', 'ttlMs', 'mutex ttlMs must be at least 1');
  }
  if (!Number.isFinite(options.waitMs) || options.waitMs < 0) {
    throw invalid('INVALID_ARGUMENT', 'waitMs', 'mutex waitMs must not be negative');
  }
}

/** The error of a wait for a busy mutex that ran out of waitMs. */
export function mutexBusy(name: string, waitMs: number): DbError {
  return new DbError('aborted', 'CONCURRENT_MODIFICATION', `mutex ${name} still busy after ${waitMs} ms`, {
    metadata: { mutex: name },
    retryDelayMs: 50,
  });
}
