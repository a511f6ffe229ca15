/**
 * A BlobStore wrapper that enforces write conditions with a coordination
 * mutex instead of trusting the backend: for S3-compatible endpoints whose
 * conditional writes fail probeConditionalWrites (not enforced, or not atomic).
 */
import { withMutex, type Coordinator, type MutexOptions } from '../coordination/coordinator.js';
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
}

/**
 * Every put and delete (conditional or not) holds the key's coordinator mutex
 * around head → check → unconditional inner write, so conditions are exact as
 * long as EVERY writer of the bucket goes through a LockedConditionsStore on
 * the same coordination backend. get, head and list pass straight through.
 * The store does not close its inner store or the coordinator.
 */
export class LockedConditionsStore implements BlobStore {
  private readonly ttlMs: number;
  private readonly waitMs: number;
  private readonly keyPrefix: string;
  private readonly clock: Clock;

  constructor(
    private readonly inner: BlobStore,
    private readonly coordinator: Coordinator,
    options: LockedConditionsOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 10_000;
    this.waitMs = options.waitMs ?? 5_000;
    this.keyPrefix = options.keyPrefix ?? 'blob:';
    this.clock = options.clock ?? systemClock;
  }

  /** Passes through. */
  get(key: string, signal?: AbortSignal): Promise<Blob | undefined> {
    return this.inner.get(key, signal);
  }

  /** Passes through. */
  head(key: string, signal?: AbortSignal): Promise<BlobMeta | undefined> {
    return this.inner.head(key, signal);
  }

  /** Under the key's mutex: checks the condition against head(), then writes unconditionally. */
  put(key: string, body: Uint8Array, condition?: WriteCondition, signal?: AbortSignal): Promise<BlobMeta> {
    return this.locked(key, signal, async (deadline) => {
      if (condition?.ifNoneMatch === true || condition?.ifMatch !== undefined) {
        const current = await this.inner.head(key, signal);
        if (condition.ifNoneMatch === true && current !== undefined) throw new ConditionFailedError(key, current.etag);
        if (condition.ifMatch !== undefined && current?.etag !== condition.ifMatch) {
          throw new ConditionFailedError(key, current?.etag);
        }
      }
      this.checkLease(key, deadline);
      return this.inner.put(key, body, undefined, signal);
    });
  }

  /** Under the key's mutex: checks the condition against head(), then deletes unconditionally. */
  delete(key: string, condition?: Pick<WriteCondition, 'ifMatch'>, signal?: AbortSignal): Promise<boolean> {
    return this.locked(key, signal, async (deadline) => {
      if (condition?.ifMatch !== undefined) {
        const current = await this.inner.head(key, signal);
        if (current?.etag !== condition.ifMatch) throw new ConditionFailedError(key, current?.etag);
      }
      this.checkLease(key, deadline);
      return this.inner.delete(key, undefined, signal);
    });
  }

  /** Passes through. */
  list(options: ListOptions, signal?: AbortSignal): Promise<ListPage> {
    return this.inner.list(options, signal);
  }

  /** Closes nothing: the inner store and the coordinator belong to whoever built them. */
  async close(): Promise<void> {}

  private locked<T>(key: string, signal: AbortSignal | undefined, fn: (leaseEndsAt: number) => Promise<T>): Promise<T> {
    const options: MutexOptions = { ttlMs: this.ttlMs, waitMs: this.waitMs, signal };
    return withMutex(this.coordinator, this.keyPrefix + key, options, () => fn(this.clock.now() + this.ttlMs));
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
