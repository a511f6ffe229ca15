/**
 * A BlobStore wrapper that retries transient backend failures: bounded
 * attempts with jittered exponential backoff on the injected Clock, for
 * DbError 'unavailable' (BACKEND_UNAVAILABLE) and BACKEND_THROTTLED only.
 * It never retries a failed condition (ConditionFailedError), a cancelled
 * or timed-out call, or any other error, and it stops when the caller's
 * signal aborts or the next wait would end past `budgetMs`.
 *
 * A write whose attempt failed 'unavailable' may have been applied anyway (the
 * answer was lost). When a retried conditional write then fails its
 * condition, that may be the first attempt's own success:
 *   - put: the stored body is read back; when it is ours (bodies are
 *     distinct per write, blob-store.ts) the put succeeded and its etag is
 *     returned, else the ConditionFailedError stands;
 *   - delete: whose delete it was cannot be told, so the earlier transient
 *     error is thrown (outcome unknown, as without this wrapper).
 *
 * main.ts wraps the S3 adapter in it and sets the SDK's own maxAttempts to
 * 1, so attempts are not multiplied (3 SDK attempts × 3 here would be 9).
 */
import { isDbError } from '../errors/db-error.js';
import { backoffDelay } from '../common/backoff.js';
import type { Clock, RandomSource } from '../common/clock.js';
import {
  ConditionFailedError,
  type Blob,
  type BlobMeta,
  type BlobStore,
  type ListOptions,
  type ListPage,
  type WriteCondition,
} from './blob-store.js';

/** Options of RetryingBlobStore; durations in ms. */
export interface RetryingStoreOptions {
  /** Waits between attempts. */
  readonly clock: Clock;
  /** The jitter of the waits. */
  readonly random: RandomSource;
  /** Attempts per call, the first included. Default 3. */
  readonly maxAttempts?: number;
  /** Backoff of an unavailable backend: first cap and largest wait. Default 25 and 1000. */
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
  /** Backoff of a throttled backend (it asked to slow down). Default 500 and 5000. */
  readonly throttledBackoff?: { readonly baseMs: number; readonly maxMs: number };
  /** No retry starts when the call, waits included, would then have run longer than this. Default: unbounded. */
  readonly budgetMs?: number;
}

/** Whether `err` is a transient backend failure that another attempt may not meet. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof ConditionFailedError || !isDbError(err)) return false;
  // STORAGE_INCONSISTENT already is the end of VerifiedReadsStore's own bounded re-reads.
  return (err.kind === 'unavailable' && err.reason !== 'STORAGE_INCONSISTENT') || err.reason === 'BACKEND_THROTTLED';
}

/** Wraps `inner`, retrying transient failures of every operation (see the file comment). */
export class RetryingBlobStore implements BlobStore {
  private readonly maxAttempts: number;

  constructor(
    private readonly inner: BlobStore,
    private readonly o: RetryingStoreOptions,
  ) {
    this.maxAttempts = Math.max(1, o.maxAttempts ?? 3);
  }

  /** get, retried. */
  get(key: string, signal?: AbortSignal): Promise<Blob | undefined> {
    return this.retry(signal, () => this.inner.get(key, signal));
  }

  /** head, retried. */
  head(key: string, signal?: AbortSignal): Promise<BlobMeta | undefined> {
    return this.retry(signal, () => this.inner.head(key, signal));
  }

  /** list, retried. */
  list(options: ListOptions, signal?: AbortSignal): Promise<ListPage> {
    return this.retry(signal, () => this.inner.list(options, signal));
  }

  /** put, retried; a retried conditional put that fails its condition is checked for being its own earlier success. */
  put(key: string, body: Uint8Array, condition?: WriteCondition, signal?: AbortSignal): Promise<BlobMeta> {
    return this.retry(
      signal,
      () => this.inner.put(key, body, condition, signal),
      async (failed) => {
        const stored = await this.inner.get(key, signal);
        if (stored !== undefined && Buffer.from(stored.body).equals(Buffer.from(body))) return { etag: stored.etag };
        throw failed;
      },
    );
  }

  /** delete, retried; a retried conditional delete that fails its condition throws the earlier transient error. */
  delete(key: string, condition?: Pick<WriteCondition, 'ifMatch'>, signal?: AbortSignal): Promise<boolean> {
    return this.retry(
      signal,
      () => this.inner.delete(key, condition, signal),
      (_failed, transient) => Promise.reject(transient),
    );
  }

  /** Closes the inner store. */
  close(): Promise<void> {
    return this.inner.close();
  }

  /**
   * Runs `fn` up to maxAttempts times. A ConditionFailedError met after a
   * transient failure (whose attempt may have been applied) goes to
   * `afterUnknown` with that transient error; any other is thrown as is.
   */
  private async retry<T>(
    signal: AbortSignal | undefined,
    fn: () => Promise<T>,
    afterUnknown?: (failed: ConditionFailedError, transient: unknown) => Promise<T>,
  ): Promise<T> {
    const started = this.o.clock.now();
    let transient: unknown;
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (err instanceof ConditionFailedError && transient !== undefined && afterUnknown !== undefined)
          return afterUnknown(err, transient);
        if (!isRetryable(err) || attempt + 1 >= this.maxAttempts || signal?.aborted) throw err;
        const throttled = isDbError(err) && err.reason === 'BACKEND_THROTTLED';
        const shape = throttled
          ? (this.o.throttledBackoff ?? { baseMs: 500, maxMs: 5000 })
          : (this.o.backoff ?? { baseMs: 25, maxMs: 1000 });
        const wait = backoffDelay(attempt, { ...shape, random: () => this.o.random.random() });
        if (this.o.budgetMs !== undefined && this.o.clock.now() + wait - started > this.o.budgetMs) throw err;
        transient = err;
        await this.o.clock.sleep(wait, signal);
      }
    }
  }
}
