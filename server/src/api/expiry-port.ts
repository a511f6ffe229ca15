/**
 * What the document engine needs of document expiry (docs/streams.md,
 * "Document expiry (TTL)"): the collections' default TTLs, the durable
 * marker of collections with expiring documents, and the purge schedule.
 * Implemented by ttl/ with an in-process schedule (local coordination) or a
 * schedule shared through Redis (Redis coordination); without one the
 * engine refuses writes that would expire (FAILED_PRECONDITION
 * TTL_NOT_AVAILABLE) and still hides expired documents from reads.
 */
export interface ExpiryPort {
  /** The collection's default TTL in ms, or undefined when it has none. */
  defaultTtlMs(collection: string): number | undefined;
  /**
   * Makes sure the collection is durably marked as having expiring
   * documents (so a restart rebuilds its schedule); called before the first
   * write of a version with an expire time lands. Cheap after the first call.
   */
  markExpiring(collection: string, signal?: AbortSignal): Promise<void>;
  /**
   * Puts (collection, id) on the purge schedule at `expireTime`, replacing
   * its entry (a write with expiry: awaited before the write lands, so a
   * landed expiring version is always scheduled).
   */
  schedule(collection: string, id: string, expireTime: Date, signal?: AbortSignal): void | Promise<void>;
  /** A read met (collection, id) expired: schedules it unless it is being purged or scheduled no later. Never throws. */
  restore(collection: string, id: string, expireTime: Date): void;
  /** True when the collection may hold expiring documents (marked): index-only counts are then not exact. */
  isExpiring(collection: string): boolean;
  /** The ids among `ids` that are, or may be, due on the schedule at nowMs (a keys-only listing re-reads them). */
  dueAmong(
    collection: string,
    ids: readonly string[],
    nowMs: number,
    signal?: AbortSignal,
  ): ReadonlySet<string> | Promise<ReadonlySet<string>>;
}
