/**
 * The LockGuard a write request may carry (DocumentService Put, PutIfMatch,
 * Delete and Commit): lock name and int64 fencing token, kept as a bigint.
 * Shared by every service whose writes take a guard.
 */
import { invalid } from '../../errors/db-error.js';
import type { LockGuardInput } from '../../api/lock-api.js';
import type { LockGuard } from '../../gen/smarterbase/v1/lock_pb.js';

/**
 * The LockGuardInput of a write request's optional LockGuard: absent → undefined;
 * present with an empty name → INVALID_ARGUMENT on `lock_guard.name`;
 * a negative token → INVALID_ARGUMENT on `lock_guard.fencing_token`.
 */
export function lockGuardOf(g: LockGuard | undefined): LockGuardInput | undefined {
  if (g === undefined) return undefined;
  if (g.name === '') throw invalid('INVALID_ARGUMENT', 'lock_guard.name', 'lock_guard.name is required');
  if (g.fencingToken < 0n) throw invalid('INVALID_ARGUMENT', 'lock_guard.fencing_token', 'lock_guard.fencing_token must not be negative');
  return { name: g.name, fencingToken: g.fencingToken };
}

/** `{ lockGuard }` when the request carries one, else `{}` (for spreading into an engine input). */
export function lockGuardField(g: LockGuard | undefined): { lockGuard?: LockGuardInput } {
  const lockGuard = lockGuardOf(g);
  return lockGuard === undefined ? {} : { lockGuard };
}
