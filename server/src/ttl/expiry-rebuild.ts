/**
 * Rebuilds the purge schedule (docs/streams.md, "Document expiry (TTL)"):
 * at start-up for the in-process schedule, and after a Redis loss for the
 * shared one, every marked collection is listed and each document with an
 * expire time scheduled again (unless it already is). Reads hide expired documents meanwhile: a slow rebuild delays
 * purges, it never shows an expired document.
 */
import type { BlobStore } from '../storage/blob-store.js';
import { orderedMap } from '../common/ordered-map.js';
import { collectionPrefix, idFromKey } from '../format/bucket-layout.js';
import { decodeEnvelope } from '../format/envelope.js';
import type { PurgeSchedule } from './purge-schedule.js';

/** Counts of one rebuild. */
export interface RebuildResult {
  readonly collections: number;
  readonly documents: number;
  readonly scheduled: number;
}

/**
 * Schedules every stored document of `collections` that has an expire
 * time, reading `concurrency` documents at a time. A document a transaction
 * holds is scheduled by its stored pre-image's expiry, if any (reads that
 * meet it expired schedule it too).
 */
export async function rebuildSchedule(
  store: BlobStore,
  collections: readonly string[],
  schedule: Pick<PurgeSchedule, 'restore'>,
  concurrency: number,
  signal?: AbortSignal,
): Promise<RebuildResult> {
  let documents = 0;
  let scheduled = 0;
  for (const collection of collections) {
    const prefix = collectionPrefix(collection);
    let startAfter: string | undefined;
    for (;;) {
      const page = await store.list({ prefix, limit: 1000, ...(startAfter === undefined ? {} : { startAfter }) }, signal);
      const ids = page.keys.map((k) => idFromKey(collection, k)).filter((id): id is string => id !== undefined);
      const read = async (id: string, s: AbortSignal): Promise<[string, Date | undefined]> => {
        const key = collectionPrefix(collection) + id;
        const blob = await store.get(key, s);
        return [id, blob === undefined ? undefined : decodeEnvelope(blob.body, key).meta.expireTime];
      };
      for await (const [id, at] of orderedMap(ids, concurrency, read, signal)) {
        documents++;
        if (at === undefined) continue;
        await schedule.restore(collection, id, at.getTime(), signal);
        scheduled++;
      }
      startAfter = page.keys[page.keys.length - 1];
      if (!page.isTruncated || startAfter === undefined) break;
    }
  }
  return { collections: collections.length, documents, scheduled };
}
