/**
 * A BlobStore wrapper that enforces write conditions with a coordination
 * mutex instead of trusting the backend: for S3-compatible endpoints whose
 * conditional writes fail probeConditionalWrites (not enforced, or not atomic).
 * The key's state after each write is left beside the mutex (etag-memo.ts,
 * docs/adr/0010-etag-beside-the-write-lock.md), so the next conditional write
 * of the key is one PUT instead of HEAD + PUT.
 */
import type { Coordinator } from '../coordination/coordinator.js';
import { DbError } from '../errors/db-error.js';
import { systemClock, type Clock } from '../common/clock.js';
import {
  ConditionFailedError,
  type Blob,
  type BlobMeta,
  type BlobStore,
  type ListOptions,
  type ListPage,
  type WriteCondition,
} from './blob-store.js';
import { decodeMemo, encodeMemo, type KnownState } from './etag-memo.js';

/** Options of LockedConditionsStore. */
export interface LockedConditionsOptions {
  /** The mutex lease, in ms (default 10 000). A write still running when it ends fails with 'unavailable' before writing. */
  readonly ttlMs?: number;
  /** How long to wait for a busy key, in ms (default 5 000); then DbError('aborted', 'CONCURRENT_MODIFICATION'). */
  readonly waitMs?: number;
  /** Prefix of the mutex names (default 'blob:'); the mutex of key k is `${keyPrefix}${k}`. */
  readonly keyPrefix?: string;
  /** The clock of the lease's remaining time. Default systemClock. */
  readonly clock?: Clock;
  /**
   * How long the coordination backend keeps the key's state left by a
   * write (the etag memo), in ms (default 600 000). Past it, the next
   * conditional write asks the store (HEAD) again.
   */
  readonly memoTtlMs?: number;
}

/** The key's state the holder found in the memo, and the one it will leave (undefined: none, the next holder asks the store). */
interface MemoSlot {
  readonly found: KnownState | undefined;
  leave: KnownState | undefined;
}

/**
 * Every put and delete (conditional or not) holds the key's coordinator mutex
 * around check → unconditional inner write, so conditions are exact as long
 * as EVERY writer of the bucket goes through a LockedConditionsStore on the
 * same coordination backend. The condition is checked against the state the
 * previous holder left in the mutex's memo when there is one (taken in the
 * grant: it is current, since every writer holds the mutex), else against
 * head(). A holder leaves the state it knows at release: the etag its write
 * returned, or what it found when it wrote nothing; none after a write or
 * head that failed (outcome unknown). get, head and list pass straight
 * through. The store does not close its inner store or the coordinator.
 */
export class LockedConditionsStore implements BlobStore {
  private readonly ttlMs: number;
  private readonly waitMs: number;
  private readonly keyPrefix: string;
  private readonly clock: Clock;
  private readonly memoTtlMs: number;

  constructor(
    private readonly inner: BlobStore,
    private readonly coordinator: Coordinator,
    options: LockedConditionsOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 10_000;
    this.waitMs = options.waitMs ?? 5_000;
    this.keyPrefix = options.keyPrefix ?? 'blob:';
    this.clock = options.clock ?? systemClock;
    this.memoTtlMs = options.memoTtlMs ?? 600_000;
  }

  /** Passes through. */
  get(key: string, signal?: AbortSignal): Promise<Blob | undefined> {
    return this.inner.get(key, signal);
  }

  /** Passes through. */
  head(key: string, signal?: AbortSignal): Promise<BlobMeta | undefined> {
    return this.inner.head(key, signal);
  }

  /** Under the key's mutex: checks the condition against the memo or head(), then writes unconditionally. */
  put(key: string, body: Uint8Array, condition?: WriteCondition, signal?: AbortSignal): Promise<BlobMeta> {
    return this.locked(key, signal, async (slot, deadline) => {
      if (condition?.ifNoneMatch === true || condition?.ifMatch !== undefined) {
        const current = await this.current(key, slot, signal);
        if (condition.ifNoneMatch === true && current.exists) throw new ConditionFailedError(key, current.etag);
        if (condition.ifMatch !== undefined && (!current.exists || current.etag !== condition.ifMatch)) {
          throw new ConditionFailedError(key, current.exists ? current.etag : undefined);
        }
      } else {
        slot.leave = slot.found;
      }
      this.checkLease(key, deadline);
      slot.leave = undefined; // from here until the store answers, the key's state is unknown
      const meta = await this.inner.put(key, body, undefined, signal);
      slot.leave = { exists: true, etag: meta.etag };
      return meta;
    });
  }

  /** Under the key's mutex: checks the condition against the memo or head(), then deletes unconditionally. */
  delete(key: string, condition?: Pick<WriteCondition, 'ifMatch'>, signal?: AbortSignal): Promise<boolean> {
    return this.locked(key, signal, async (slot, deadline) => {
      if (condition?.ifMatch !== undefined) {
        const current = await this.current(key, slot, signal);
        if (!current.exists || current.etag !== condition.ifMatch) {
          throw new ConditionFailedError(key, current.exists ? current.etag : undefined);
        }
      } else {
        slot.leave = slot.found;
      }
      this.checkLease(key, deadline);
      slot.leave = undefined;
      const existed = await this.inner.delete(key, undefined, signal);
      slot.leave = { exists: false };
      return existed;
    });
  }

  /** Passes through. */
  list(options: ListOptions, signal?: AbortSignal): Promise<ListPage> {
    return this.inner.list(options, signal);
  }

  /** Closes nothing: the inner store and the coordinator belong to whoever built them. */
  async close(): Promise<void> {}

  /** Runs `fn` under the key's mutex with the memo the grant took; leaves `slot.leave` as the next memo at release. */
  private async locked<T>(
    key: string,
    signal: AbortSignal | undefined,
    fn: (slot: MemoSlot, leaseEndsAt: number) => Promise<T>,
  ): Promise<T> {
    const handle = await this.coordinator.acquireMutex(this.keyPrefix + key, { ttlMs: this.ttlMs, waitMs: this.waitMs, signal });
    const slot: MemoSlot = { found: decodeMemo(handle.memo), leave: undefined };
    try {
      return await fn(slot, this.clock.now() + this.ttlMs);
    } finally {
      await handle.release(slot.leave === undefined ? undefined : { value: encodeMemo(slot.leave), ttlMs: this.memoTtlMs });
    }
  }

  /** The key's current state: the memo's when the grant brought one, else head()'s; either is left for the next holder. */
  private async current(key: string, slot: MemoSlot, signal: AbortSignal | undefined): Promise<KnownState> {
    if (slot.found !== undefined) {
      slot.leave = slot.found;
      return slot.found;
    }
    const meta = await this.inner.head(key, signal);
    slot.leave = meta === undefined ? { exists: false } : { exists: true, etag: meta.etag };
    return slot.leave;
  }

  /** Refuses to start the write when less than a fifth of the lease is left (another writer may take it soon). */
  private checkLease(key: string, leaseEndsAt: number): void {
    if (leaseEndsAt - this.clock.now() < this.ttlMs / 5) {
      throw new DbError('unavailable', 'BACKEND_UNAVAILABLE', `the lock on ${key} was about to expire before the write`, {
        metadata: { key },
      });
    }
  }
}
