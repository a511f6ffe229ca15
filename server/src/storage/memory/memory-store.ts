import { createHash } from 'node:crypto';
import { DbError } from '../../errors/db-error.js';
import { throwIfAborted } from '../../common/abort.js';
import {
  ConditionFailedError,
  type Blob,
  type BlobMeta,
  type BlobStore,
  type ListOptions,
  type ListPage,
  type WriteCondition,
} from '../blob-store.js';

/** One stored object. */
interface Entry {
  readonly body: Uint8Array;
  readonly etag: string;
}

/** The etag of a body: the first 32 hex characters of its SHA-256. */
export function memoryEtag(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 32);
}

/**
 * The reference BlobStore: objects in a Map, in this process only.
 *
 * Conditions are exact under concurrency: every method checks its condition
 * and applies its change synchronously (no await between check and write),
 * so JavaScript's single thread makes each operation atomic. Bodies are
 * copied on the way in and out, so callers cannot mutate stored objects.
 * Listing is in UTF-8 byte order (Buffer.compare). An aborted signal throws
 * DbError 'cancelled' (or 'deadline_exceeded' for timeout signals) before
 * anything changes; after close() every call throws 'unavailable'.
 */
export class MemoryBlobStore implements BlobStore {
  private readonly objects = new Map<string, Entry>();
  /** Keys in UTF-8 byte order; rebuilt lazily after inserts and deletes. */
  private sortedKeys: string[] | undefined;
  private closed = false;

  /** `etag` computes each version's etag (default memoryEtag; tests pass an MD5 to act like S3). */
  constructor(private readonly options: { readonly etag?: (body: Uint8Array) => string } = {}) {}

  /** The number of stored objects (for tests and diagnostics). */
  get size(): number {
    return this.objects.size;
  }

  /** The object, or undefined when the key does not exist. */
  async get(key: string, signal?: AbortSignal): Promise<Blob | undefined> {
    this.check(signal);
    const entry = this.objects.get(key);
    if (entry === undefined) return undefined;
    return { etag: entry.etag, body: Uint8Array.from(entry.body) };
  }

  /** The object's etag, or undefined when the key does not exist. */
  async head(key: string, signal?: AbortSignal): Promise<BlobMeta | undefined> {
    this.check(signal);
    const entry = this.objects.get(key);
    return entry === undefined ? undefined : { etag: entry.etag };
  }

  /** Stores the body if the condition holds; throws ConditionFailedError otherwise. */
  async put(key: string, body: Uint8Array, condition?: WriteCondition, signal?: AbortSignal): Promise<BlobMeta> {
    this.check(signal);
    const current = this.objects.get(key);
    if (condition?.ifNoneMatch === true && current !== undefined) {
      throw new ConditionFailedError(key, current.etag);
    }
    if (condition?.ifMatch !== undefined && current?.etag !== condition.ifMatch) {
      throw new ConditionFailedError(key, current?.etag);
    }
    const entry: Entry = { body: Uint8Array.from(body), etag: (this.options.etag ?? memoryEtag)(body) };
    if (current === undefined) this.sortedKeys = undefined;
    this.objects.set(key, entry);
    return { etag: entry.etag };
  }

  /** Deletes the object if the condition holds; false when it did not exist and no condition was given. */
  async delete(key: string, condition?: Pick<WriteCondition, 'ifMatch'>, signal?: AbortSignal): Promise<boolean> {
    this.check(signal);
    const current = this.objects.get(key);
    if (condition?.ifMatch !== undefined && current?.etag !== condition.ifMatch) {
      throw new ConditionFailedError(key, current?.etag);
    }
    if (current === undefined) return false;
    this.objects.delete(key);
    this.sortedKeys = undefined;
    return true;
  }

  /** One page of keys in ascending UTF-8 byte order. */
  async list(options: ListOptions, signal?: AbortSignal): Promise<ListPage> {
    this.check(signal);
    const { prefix, startAfter, limit } = options;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new DbError('invalid', 'INVALID_ARGUMENT', `list limit must be 1..1000, got ${limit}`, {
        field: 'limit',
        metadata: { field: 'limit' },
      });
    }
    const sorted = this.sorted();
    const prefixBytes = Buffer.from(prefix, 'utf8');
    const from = Buffer.from(startAfter ?? '', 'utf8');
    // The first index whose key is > startAfter and >= prefix.
    let i = lowerBound(sorted, (k) => {
      const kb = Buffer.from(k, 'utf8');
      return Buffer.compare(kb, prefixBytes) < 0 || (startAfter !== undefined && Buffer.compare(kb, from) <= 0);
    });
    const keys: string[] = [];
    for (; i < sorted.length; i++) {
      const key = sorted[i] as string;
      if (!key.startsWith(prefix)) break;
      if (keys.length === limit) return { keys, isTruncated: true };
      keys.push(key);
    }
    return { keys, isTruncated: false };
  }

  /** Marks the store closed; later calls throw 'unavailable'. Data stays for inspection. */
  async close(): Promise<void> {
    this.closed = true;
  }

  private check(signal: AbortSignal | undefined): void {
    throwIfAborted(signal);
    if (this.closed) {
      throw new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'memory blob store is closed');
    }
  }

  private sorted(): string[] {
    if (this.sortedKeys === undefined) {
      this.sortedKeys = [...this.objects.keys()].sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
    }
    return this.sortedKeys;
  }
}

/** The first index at which `before` is false, for a predicate true on a prefix of `arr`. */
function lowerBound(arr: readonly string[], before: (k: string) => boolean): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(arr[mid] as string)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
