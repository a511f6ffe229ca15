/**
 * The durable markers of collections with expiring documents
 * (`_meta/expiring/<collection>`, format/bucket-layout.ts): written before a
 * collection's first expiring write lands (once per process), listed at
 * start-up to know which collections' schedules to rebuild. A marker is
 * never removed: a marked collection without expiring documents only costs
 * a listing at start-up and exact (fetching) counts.
 */
import type { BlobStore } from '../storage/blob-store.js';
import { EXPIRING_PREFIX, expiringMarkerKey } from '../format/bucket-layout.js';

/** The markers, with this process's memory of those known to exist. */
export class ExpiringMarkers {
  private readonly known = new Set<string>();
  private readonly writing = new Map<string, Promise<void>>();

  constructor(private readonly store: BlobStore) {}

  /** True when `collection` is known (to this process) to be marked. */
  isMarked(collection: string): boolean {
    return this.known.has(collection);
  }

  /** The collections this process knows to be marked. */
  marked(): Iterable<string> {
    return this.known;
  }

  /** Makes sure `collection` is marked durably; one storage write per collection and process. */
  async mark(collection: string, signal?: AbortSignal): Promise<void> {
    if (this.known.has(collection)) return;
    let writing = this.writing.get(collection);
    if (writing === undefined) {
      const body = Buffer.from(JSON.stringify({ collection, markedAt: new Date().toISOString() }), 'utf8');
      writing = this.store
        .put(expiringMarkerKey(collection), body, undefined, signal)
        .then(() => void this.known.add(collection))
        .finally(() => this.writing.delete(collection));
      this.writing.set(collection, writing);
    }
    await writing;
  }

  /** Lists every marked collection from storage (and remembers them). */
  async load(signal?: AbortSignal): Promise<string[]> {
    const out: string[] = [];
    let startAfter: string | undefined;
    for (;;) {
      const page = await this.store.list(
        { prefix: EXPIRING_PREFIX, limit: 1000, ...(startAfter === undefined ? {} : { startAfter }) },
        signal,
      );
      for (const key of page.keys) {
        const collection = key.slice(EXPIRING_PREFIX.length);
        if (collection === '' || collection.includes('/')) continue;
        this.known.add(collection);
        out.push(collection);
      }
      startAfter = page.keys[page.keys.length - 1];
      if (!page.isTruncated || startAfter === undefined) return out;
    }
  }
}
