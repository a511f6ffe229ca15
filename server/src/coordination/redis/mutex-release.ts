/**
 * The release side of the Redis mutex (redis-coordinator.ts takes it): the
 * handle a grant returns, the release script (which stores the holder's memo,
 * docs/adr/0010), and the clean-up of grants whose answer never came.
 */
import type { MutexHandle, MutexMemo } from '../coordinator.js';
import type { RedisGuard } from './redis-guard.js';

/** When a failed acquire, or a release that got no answer, looks for a grant it may still hold, in ms after the failure. */
export const ORPHAN_CHECKS_MS = [250, 1000, 2500, 5000];

/** The release script as defined on the connection (mutex-scripts.ts RELEASE_SCRIPT). */
export type ReleaseCommand = (
  lock: string,
  memoKey: string,
  value: string,
  mode: '' | 'owner',
  memo: string,
  memoTtlMs: string,
) => Promise<number>;

/** The keys of one mutex the release touches. */
export interface MutexReleaseKeys {
  readonly lock: string;
  readonly memo: string;
}

/** Releases mutex grants through `release`, guarded by `guard`; nothing once `closed()`. */
export class MutexReleaser {
  constructor(
    private readonly guard: RedisGuard,
    private readonly release: () => ReleaseCommand,
    private readonly closed: () => boolean,
  ) {}

  /** The handle of a grant of `fence` to `owner` (holding `memo`, the previous holder's). */
  handle(keys: MutexReleaseKeys, owner: string, fence: string, memo: string | undefined, ttlMs: number): MutexHandle {
    const value = `${owner}:${fence}`;
    return {
      fencingToken: BigInt(fence),
      ...(memo ? { memo } : {}),
      release: async (next?: MutexMemo) => void ((await this.releaseQuietly(keys, value, next)) || this.releaseOrphan(keys, owner, ttlMs)),
    };
  }

  /**
   * Runs the release script (storing `memo` only if the grant still holds the
   * lock); never throws (an unreleased lock expires by its TTL); false when
   * Redis did not answer.
   */
  async releaseQuietly(keys: MutexReleaseKeys, value: string, memo?: MutexMemo): Promise<boolean> {
    return this.send(keys, value, '', memo);
  }

  /**
   * After an acquire that failed without an answer, or a release that did: the
   * lock may survive in a promoted replica, or the acquire may be carried out
   * later (a cluster client re-sends it to the promoted replica after the
   * caller's timeout), granting a lock nobody holds; other writers of the key
   * then waited its whole TTL and failed ABORTED / CONCURRENT_MODIFICATION
   * (test/cluster/cluster-outage.test.ts). Deletes any grant of `owner` (a
   * fresh random id per acquire; no memo is left) at ORPHAN_CHECKS_MS after the
   * failure, within the TTL; each check is one script call, and only failures
   * make them.
   */
  releaseOrphan(keys: MutexReleaseKeys, owner: string, ttlMs: number): void {
    for (const at of ORPHAN_CHECKS_MS) {
      if (at >= ttlMs) break;
      setTimeout(() => void this.send(keys, `${owner}:`, 'owner'), at).unref();
    }
  }

  private async send(keys: MutexReleaseKeys, value: string, mode: '' | 'owner', memo?: MutexMemo): Promise<boolean> {
    if (this.closed()) return true;
    const memoTtl = String(Math.max(1, Math.ceil(memo?.ttlMs ?? 1)));
    try {
      await this.guard.call('mutex.release', () => this.release()(keys.lock, keys.memo, value, mode, memo?.value ?? '', memoTtl));
      return true;
    } catch {
      return false; // Redis unreachable: the lock expires by its TTL
    }
  }
}
