/**
 * The engine's per-process memory of the last known version of each document
 * key: {etag, version, createTime}, filled by this process's reads and writes.
 * It lets an upsert try its conditional write without reading first. It is a
 * hint, never the truth: the store enforces every condition, so a stale entry
 * only costs a failed conditional write and the usual read-modify-write.
 */
import { LruCache } from '../storage/lru-cache.js';
import type { EnvelopeMeta } from '../format/envelope.js';

/** What is remembered of one stored version. */
export interface KnownVersion {
  /** The store's etag of that version. */
  readonly etag: string;
  /** Its envelope version number. */
  readonly version: number;
  /** Its creation time. */
  readonly createTime: Date;
  /** Its revision (envelope seq), when it has one. */
  readonly seq?: number;
  /** When that version expires, when it does. */
  readonly expireTime?: Date;
}

/** The default number of keys remembered. */
export const DEFAULT_VERSION_CACHE_ENTRIES = 10_000;

/** A bounded LRU map: document key → KnownVersion. */
export class VersionCache {
  private readonly lru: LruCache<KnownVersion>;

  /** @param maxEntries how many keys to remember; 0 disables the cache. */
  constructor(maxEntries: number = DEFAULT_VERSION_CACHE_ENTRIES) {
    this.lru = new LruCache<KnownVersion>({ maxWeight: maxEntries });
  }

  /** The last known version of `key`, if any. */
  get(key: string): KnownVersion | undefined {
    return this.lru.get(key);
  }

  /** Remembers that `key` is at `etag` with envelope `meta`. */
  remember(key: string, etag: string, meta: Pick<EnvelopeMeta, 'version' | 'createTime' | 'seq' | 'expireTime'>): void {
    this.lru.set(key, {
      etag,
      version: meta.version,
      createTime: meta.createTime,
      ...(meta.seq === undefined ? {} : { seq: meta.seq }),
      ...(meta.expireTime === undefined ? {} : { expireTime: meta.expireTime }),
    });
  }

  /** Forgets `key` (deleted, or its state is unknown after a failed write). */
  forget(key: string): void {
    this.lru.delete(key);
  }
}
