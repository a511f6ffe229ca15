/**
 * What the document engine needs of document expiry (docs/streams.md,
 * "Document expiry (TTL)"): the collections' default TTLs, the durable
 * marker of collections with expiring documents, and the purge schedule.
 * Implemented in process by ttl/ (the embedded default); without one the
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
  /** Puts (collection, id) on the purge schedule at `expireTime` (a write with expiry, or a read meeting an expired document). */
  schedule(collection: string, id: string, expireTime: Date): void;
  /** True when the collection may hold expiring documents (marked): index-only counts are then not exact. */
  isExpiring(collection: string): boolean;
  /** True when (collection, id) is on the schedule with an expire time ≤ nowMs (a keys-only listing re-reads it). */
  isDue(collection: string, id: string, nowMs: number): boolean;
}
