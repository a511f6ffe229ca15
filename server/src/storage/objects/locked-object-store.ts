/**
 * Lock mode for large objects: an ObjectStore wrapper that enforces the
 * conditions of publishing writes (putSmall, completeUpload) and deletes with
 * a coordination mutex instead of trusting the backend, for S3 endpoints whose
 * completions fail probeConditionalCompletion (gofakes3). Like
 * LockedConditionsStore for documents: every publishing write and delete of a
 * key, conditional or not, holds the mutex `${keyPrefix}${key}` around
 * head → check → unconditional inner write, so conditions are exact as long as
 * every writer of the bucket goes through this wrapper on the same coordinator.
 * Parts are sent outside the lock; only the completion is serialised. Reads,
 * listings and the upload primitives pass through.
 */
import type { Coordinator } from '../../coordination/coordinator.js';
import { systemClock, type Clock } from '../../common/clock.js';
import { DbError } from '../../errors/db-error.js';
import { ConditionFailedError, type ListOptions } from '../blob-store.js';
import type {
  PartPlacement,
  GetObjectOptions,
  ObjectCondition,
  ObjectInfo,
  ObjectPage,
  ObjectReader,
  ObjectStore,
  OpenUpload,
  PutObjectOptions,
  PutObjectResult,
  StartUploadOptions,
  UploadedPart,
} from './object-store.js';
import { streamedPut } from './streamed-put.js';

/** Options of LockedObjectStore. */
export interface LockedObjectStoreOptions {
  /** The mutex lease, in ms (default 120 000: a completion assembles the whole object on some stores). */
  readonly ttlMs?: number;
  /** How long to wait for a busy key, in ms (default 30 000); then DbError('aborted', 'CONCURRENT_MODIFICATION'). */
  readonly waitMs?: number;
  /** Prefix of the mutex names (default 'object:'). */
  readonly keyPrefix?: string;
  /** The clock of the lease's remaining time (default systemClock). */
  readonly clock?: Clock;
}

/** See the file comment. */
export class LockedObjectStore implements ObjectStore {
  private readonly ttlMs: number;
  private readonly waitMs: number;
  private readonly keyPrefix: string;
  private readonly clock: Clock;

  constructor(
    private readonly inner: ObjectStore,
    private readonly coordinator: Coordinator,
    options: LockedObjectStoreOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 120_000;
    this.waitMs = options.waitMs ?? 30_000;
    this.keyPrefix = options.keyPrefix ?? 'object:';
    this.clock = options.clock ?? systemClock;
  }

  /** The streamed put, its publishing write through this wrapper's lock. */
  put(key: string, body: AsyncIterable<Uint8Array>, options?: PutObjectOptions): Promise<PutObjectResult> {
    return streamedPut(this, key, body, options);
  }

  /** Under the key's mutex: checks the condition against head(), then an unconditional PUT. */
  putSmall(key: string, body: Uint8Array, options: Omit<PutObjectOptions, 'partSize'> = {}): Promise<PutObjectResult> {
    const { condition, ...rest } = options;
    return this.locked(key, condition, options.signal, () => this.inner.putSmall(key, body, rest));
  }

  /** Passes through. */
  startUpload(key: string, options?: StartUploadOptions): Promise<string> {
    return this.inner.startUpload(key, options);
  }

  /** Passes through (parts are not published: no lock). */
  putPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: Uint8Array,
    signal?: AbortSignal,
    placement?: PartPlacement,
  ): Promise<UploadedPart> {
    return this.inner.putPart(key, uploadId, partNumber, body, signal, placement);
  }

  /** Passes through. */
  /** Forwards (an encrypting store below needs its final part). */
  needsFinalPart(uploadId: string): boolean {
    return this.inner.needsFinalPart?.(uploadId) ?? false;
  }

  listParts(key: string, uploadId: string, signal?: AbortSignal): Promise<UploadedPart[]> {
    return this.inner.listParts(key, uploadId, signal);
  }

  /** Under the key's mutex: checks the condition against head(), then an unconditional completion. */
  completeUpload(
    key: string,
    uploadId: string,
    parts: readonly Pick<UploadedPart, 'partNumber' | 'etag'>[],
    options: { readonly condition?: ObjectCondition; readonly signal?: AbortSignal } = {},
  ): Promise<PutObjectResult> {
    return this.locked(key, options.condition, options.signal, () =>
      this.inner.completeUpload(key, uploadId, parts, options.signal !== undefined ? { signal: options.signal } : {}),
    );
  }

  /** Passes through. */
  abortUpload(key: string, uploadId: string, signal?: AbortSignal): Promise<void> {
    return this.inner.abortUpload(key, uploadId, signal);
  }

  /** Passes through. */
  listUploads(options: { readonly prefix: string; readonly limit: number; readonly signal?: AbortSignal }): Promise<OpenUpload[]> {
    return this.inner.listUploads(options);
  }

  /** Passes through (the inner store checks a read's ifMatch against the answer's etag). */
  get(key: string, options?: GetObjectOptions): Promise<ObjectReader | undefined> {
    return this.inner.get(key, options);
  }

  /** Passes through. */
  head(key: string, signal?: AbortSignal): Promise<ObjectInfo | undefined> {
    return this.inner.head(key, signal);
  }

  /** Under the key's mutex: checks the condition against head(), then an unconditional delete. */
  delete(key: string, condition?: Pick<ObjectCondition, 'ifMatch'>, signal?: AbortSignal): Promise<boolean> {
    return this.locked(key, condition, signal, () => this.inner.delete(key, undefined, signal));
  }

  /** Passes through. */
  list(options: ListOptions, signal?: AbortSignal): Promise<ObjectPage> {
    return this.inner.list(options, signal);
  }

  /** Closes nothing: the inner store and the coordinator belong to whoever built them. */
  async close(): Promise<void> {}

  /** Holds the key's mutex around: the condition checked against head(), the lease checked, then `write`. */
  private async locked<T>(
    key: string,
    condition: ObjectCondition | undefined,
    signal: AbortSignal | undefined,
    write: () => Promise<T>,
  ): Promise<T> {
    const handle = await this.coordinator.acquireMutex(this.keyPrefix + key, {
      ttlMs: this.ttlMs,
      waitMs: this.waitMs,
      ...(signal !== undefined ? { signal } : {}),
    });
    const leaseEndsAt = this.clock.now() + this.ttlMs;
    try {
      if (condition?.ifNoneMatch === true || condition?.ifMatch !== undefined) {
        const current = (await this.inner.head(key, signal))?.etag;
        if (condition.ifNoneMatch === true && current !== undefined) throw new ConditionFailedError(key, current);
        if (condition.ifMatch !== undefined && current !== condition.ifMatch) throw new ConditionFailedError(key, current);
      }
      if (leaseEndsAt - this.clock.now() < this.ttlMs / 5) {
        throw new DbError('unavailable', 'BACKEND_UNAVAILABLE', `the lock on ${key} was about to expire before the write`, {
          metadata: { key },
        });
      }
      return await write();
    } finally {
      await handle.release();
    }
  }
}
