/**
 * The object-storage port. Adapters: memory/ (the reference), filesystem/, s3/.
 * Wrappers implement the same interface around another BlobStore: locked
 * conditional writes (locked-conditions.ts), retries of transient failures
 * (retrying-store.ts), metrics (instrumented-store.ts), fault injection
 * (faulty-store.ts).
 *
 * Keys are '/'-separated strings built by the engine (see docs/storage-format.md);
 * adapters may assume they were validated. Etags are opaque strings without
 * quotes; every successful put yields a different etag than any earlier
 * version of that key had (the engine guarantees distinct bodies).
 *
 * Errors: a failed condition throws ConditionFailedError; an unreachable or
 * failing backend throws DbError('unavailable', 'BACKEND_UNAVAILABLE'); throttling
 * DbError('resource_exhausted', 'BACKEND_THROTTLED'); an aborted signal
 * DbError('cancelled' | 'deadline_exceeded').
 */

/** A stored object's metadata. */
export interface BlobMeta {
  /** Opaque version token, no surrounding quotes. */
  readonly etag: string;
}

/** A stored object. */
export interface Blob extends BlobMeta {
  /** The object's bytes. */
  readonly body: Uint8Array;
  /**
   * The lowercase hex MD5 of the body as its writer recorded it in the
   * object's metadata, when the store keeps one (the S3 adapter's
   * `x-amz-meta-sb-md5`); read with the etag, so it proves which version the
   * etag belongs to (storage/verified-reads.ts).
   */
  readonly contentMd5?: string;
}

/** A condition on a write; at most one of the two is set. */
export interface WriteCondition {
  /** Write only if the object exists with exactly this etag. */
  readonly ifMatch?: string;
  /** Write only if no object exists under the key. */
  readonly ifNoneMatch?: true;
}

/** What a listing asks for. */
export interface ListOptions {
  /** Only keys starting with this. */
  readonly prefix: string;
  /** Only keys strictly after this one (UTF-8 byte order). */
  readonly startAfter?: string;
  /** At most this many keys (1..1000). */
  readonly limit: number;
}

/** One page of keys, ascending in UTF-8 byte order. */
export interface ListPage {
  readonly keys: string[];
  /** True when more keys may follow the last one returned. */
  readonly isTruncated: boolean;
}

/** How a store enforces WriteConditions. */
export type ConditionalMode =
  /** Atomically by the backend itself (S3 If-Match / If-None-Match, or an in-process lock). */
  | 'native'
  /** By a coordination lock around read-check-write (wrapper storage/locked-conditions.ts). */
  | 'lock';

/** The object-storage port. Every method honours `signal`. */
export interface BlobStore {
  /** The object, or undefined when the key does not exist. */
  get(key: string, signal?: AbortSignal): Promise<Blob | undefined>;
  /** The object's metadata, or undefined when the key does not exist. */
  head(key: string, signal?: AbortSignal): Promise<BlobMeta | undefined>;
  /** Writes the object atomically (readers see old or new, never a mix). */
  put(key: string, body: Uint8Array, condition?: WriteCondition, signal?: AbortSignal): Promise<BlobMeta>;
  /** Deletes the object; false when it did not exist (and no condition was given). */
  delete(key: string, condition?: Pick<WriteCondition, 'ifMatch'>, signal?: AbortSignal): Promise<boolean>;
  /** Lists keys in ascending UTF-8 byte order. */
  list(options: ListOptions, signal?: AbortSignal): Promise<ListPage>;
  /** Releases connections and handles. */
  close(): Promise<void>;
}

/** Thrown when a WriteCondition does not hold. */
export class ConditionFailedError extends Error {
  override readonly name = 'ConditionFailedError';
  constructor(
    /** The key written. */
    readonly key: string,
    /** The current etag when the store knows it; undefined when the object is missing or unknown. */
    readonly currentEtag?: string,
  ) {
    super(`write condition failed for ${key}`);
  }
}
