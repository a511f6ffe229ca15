import { DbError } from '../errors/db-error.js';

/** The lock is held by someone else: aborted LOCK_HELD, retry after the holder's remaining lease. */
export function lockHeld(name: string, holder: string, remainingMs: number): DbError {
  return new DbError('aborted', 'LOCK_HELD', `lock ${name} is held${holder === '' ? '' : ` by ${holder}`}`, {
    metadata: { name, holder },
    retryDelayMs: Math.max(1, Math.ceil(remainingMs)),
  });
}

/** The lease is not the lock's current one (expired, released or superseded): failed_precondition LOCK_NOT_HELD. */
export function lockNotHeld(name: string, message: string, metadata: Record<string, string> = {}, cause?: unknown): DbError {
  return new DbError('failed_precondition', 'LOCK_NOT_HELD', message, { metadata: { name, ...metadata }, cause });
}
