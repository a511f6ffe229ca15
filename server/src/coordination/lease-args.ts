import { invalid } from '../errors/db-error.js';

/**
 * Argument checks shared by the lease operations of every Coordinator
 * adapter. The LockManager validates requests more strictly before calling.
 */

/** Throws DbError invalid INVALID_ARGUMENT unless `name` is a non-empty string. */
export function checkLeaseName(name: string): void {
  if (typeof name !== 'string' || name.length === 0) throw invalid('INVALID_ARGUMENT', 'name', 'lock name must not be empty');
}

/** Throws DbError invalid INVALID_ARGUMENT unless `ttlMs` is an integer ≥ 1. */
export function checkLeaseTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) throw invalid('INVALID_ARGUMENT', 'ttl', 'lease ttl must be an integer ≥ 1 ms');
}
