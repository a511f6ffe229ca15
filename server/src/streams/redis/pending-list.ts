/**
 * ChangeFeed.pending over Redis: the pending members of every registered
 * collection (one ZRANGE each, in one pipeline) decoded, filtered by
 * allocation time and put in the port's order, oldest allocation first.
 */
import type { PendingRevision } from '../change-feed.js';
import { decodePending } from './redis-feed-layout.js';

/** The pipeline's reply per collection: an error, or the pending members of its `fp` zset. */
export type MembersReply = [Error | null, unknown];

/** The pending revisions of `names` (replies in the same order) allocated at or before `beforeMs`, sorted. */
export function pendingOf(names: readonly string[], replies: readonly MembersReply[], beforeMs: number): PendingRevision[] {
  const all: PendingRevision[] = [];
  names.forEach((collection, i) => {
    const [err, members] = replies[i] ?? [new Error(`no reply for ${collection}`), []];
    if (err) throw err;
    for (const m of members as string[]) {
      const p = decodePending(collection, m);
      if (p.allocatedAtMs <= beforeMs) all.push(p);
    }
  });
  return all.sort((a, b) => a.allocatedAtMs - b.allocatedAtMs || a.revision - b.revision || (a.collection < b.collection ? -1 : 1));
}
