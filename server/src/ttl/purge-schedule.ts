/**
 * The purge schedule of document expiry as a port (docs/streams.md,
 * "Document expiry (TTL)"), with two implementations: in process
 * (expiry-schedule.ts, one server) and a Redis sorted set per collection
 * shared by every server (redis/redis-purge-schedule.ts). The schedule is a
 * hint: the purger re-reads every document it takes, so a stale entry only
 * costs a read; a missing one only delays a purge (reads hide expired
 * documents by their own expire time).
 */

/** One scheduled purge. */
export interface ScheduledExpiry {
  readonly collection: string;
  readonly id: string;
  /** ms since the epoch. */
  readonly expireAtMs: number;
  /** The score a shared schedule moved the entry to when this server claimed it (settle/retry compare it). */
  readonly claimedUntilMs?: number;
}

/** What the purger and the expiry port need of a schedule. */
export interface PurgeSchedule {
  /** Schedules (collection, id) at `expireAtMs`, replacing its earlier entry (a write with an expire time). */
  add(collection: string, id: string, expireAtMs: number, signal?: AbortSignal): void | Promise<void>;
  /** Schedules (collection, id) at `expireAtMs` unless it is claimed or scheduled no later (a read or a rebuild met it). */
  restore(collection: string, id: string, expireAtMs: number, signal?: AbortSignal): void | Promise<void>;
  /**
   * Takes up to `max` entries due at `nowMs` for purging, earliest first per
   * collection; each is then `settle`d, or `retry`d when its purge failed.
   */
  takeDue(nowMs: number, max: number, signal?: AbortSignal): ScheduledExpiry[] | Promise<ScheduledExpiry[]>;
  /** A taken entry was purged or dropped at `nowMs`. */
  settle(e: ScheduledExpiry, nowMs: number): void | Promise<void>;
  /** A taken entry whose purge failed or was not tried: due again at the next take. */
  retry(e: ScheduledExpiry): void | Promise<void>;
  /** The ids among `ids` that are, or may be, due at `nowMs` (a keys-only listing re-reads them). */
  dueAmong(
    collection: string,
    ids: readonly string[],
    nowMs: number,
    signal?: AbortSignal,
  ): ReadonlySet<string> | Promise<ReadonlySet<string>>;
}
