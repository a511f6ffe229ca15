/**
 * The Redis keys of the shared expiry schedule (docs/streams.md, "Document
 * expiry (TTL)"). A collection's keys lie under the index store's hash tag
 * `<prefix>{ix:C}:` (index/redis/redis-index-layout.ts), so each script
 * touches one Cluster slot:
 *
 *   x    zset: member id, score its expire time in ms (or, while a server
 *        purges it, the end of that server's claim)
 *   xs   zset: member id, score when its purge settled (kept KEEP_SETTLED_MS,
 *        so a keys-only listing that listed the id before its purge
 *        deleted it still re-reads it)
 *   xb   string: set once a rebuild of the schedule from storage completed;
 *        missing → Redis lost the schedule (or never had it): rebuild
 *   xr   set: tokens of rebuilds in progress (a rebuild counts only if its
 *        token survived it)
 *
 * plus the registry of expiring collections under its own tag:
 *
 *   {ttl}:collections  set of collection names
 *   {ttl}:born         string: set once the registry holds every durable
 *                      marker; missing → reload the markers from storage
 */
import { collectionBase } from '../../index/redis/redis-index-layout.js';

/** The schedule keys of one collection. */
export interface ScheduleKeys {
  readonly x: string;
  readonly xs: string;
  readonly xb: string;
  readonly xr: string;
}

/** The schedule keys of `collection` under `prefix` (default 'sb:'). */
export function scheduleKeys(prefix: string, collection: string): ScheduleKeys {
  const base = collectionBase(prefix, collection);
  return { x: `${base}x`, xs: `${base}xs`, xb: `${base}xb`, xr: `${base}xr` };
}

/** The registry keys (one slot). */
export function registryKeys(prefix: string): { collections: string; born: string } {
  return { collections: `${prefix}{ttl}:collections`, born: `${prefix}{ttl}:born` };
}
