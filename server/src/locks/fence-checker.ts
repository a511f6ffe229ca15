import { invalid } from '../errors/db-error.js';
import type { Coordinator } from '../coordination/coordinator.js';
import type { LockGuardInput } from '../api/lock-api.js';
import { checkLockName } from './lock-args.js';
import { lockNotHeld } from './lock-errors.js';

/**
 * The fence check of guarded writes (DocumentEngine option `fences`): a
 * guard passes only when its token equals the lock's latest granted token.
 * An older token means a newer grant exists (the guard's holder lost the
 * lock); a newer token than any grant was never issued. Both are refused
 * with failed_precondition LOCK_NOT_HELD (metadata name, fencingToken,
 * currentFencingToken). A name never granted has latest token 0, so only
 * token 0 passes there. Expiry alone does not fail a guard: see docs/locks.md.
 */
export class FenceChecker {
  constructor(private readonly coordinator: Pick<Coordinator, 'latestFence'>) {}

  /** Resolves when the guard holds; throws LOCK_NOT_HELD (or invalid for a malformed guard) otherwise. */
  async check(guard: LockGuardInput, signal?: AbortSignal): Promise<void> {
    checkLockName(guard.name, 'lock_guard.name');
    if (typeof guard.fencingToken !== 'bigint' || guard.fencingToken < 0n) {
      throw invalid('INVALID_ARGUMENT', 'lock_guard.fencing_token', 'fencing_token must not be negative');
    }
    const latest = await this.coordinator.latestFence(guard.name, signal);
    if (guard.fencingToken === latest) return;
    const why = guard.fencingToken < latest ? 'a newer grant of the lock exists' : 'no such token was ever granted';
    throw lockNotHeld(guard.name, `lock guard ${guard.name}#${guard.fencingToken} refused: ${why}`, {
      fencingToken: String(guard.fencingToken),
      currentFencingToken: String(latest),
    });
  }
}
