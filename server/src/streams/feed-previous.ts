/**
 * Watch's include_previous (docs/streams.md, docs/adr/0012 §7): the document
 * a change replaced is the change at its previous_revision in the retained
 * history, looked up once per server and cached (many watchers, and the
 * next change of the same document, ask for the same one). A revision below
 * the retained history is unavailable, never guessed.
 *
 * A single write's change is the event at its own revision; a transaction's
 * change sits in the event of the transaction's smallest revision, allocated
 * shortly before it, so the lookup then scans back over growing windows.
 */
import { RevisionOutOfRange, type ChangeFeed, type ChangedDocument, type FeedEvent } from './change-feed.js';

/** What a lookup found: the document at that revision (none when the change there was a delete), or unavailable. */
export type PreviousLookup = { readonly doc?: ChangedDocument } | 'unavailable';

/** Revision spans scanned back for a transaction's change (revisions count µs at least: 1 ms, 100 ms, 10 s). */
const SPANS = [1_000, 100_000, 10_000_000] as const;
/** Events read per scan. */
const SCAN_LIMIT = 256;
/** Default number of cached changes. */
export const PREVIOUS_CACHE_ENTRIES = 10_000;

/** The per-server cache and lookup of previous documents. */
export class PreviousDocuments {
  private readonly cache = new Map<string, ChangedDocument | null>();

  /** `capacity`: changes kept (the oldest remembered go first). */
  constructor(
    private readonly feed: ChangeFeed,
    private readonly capacity = PREVIOUS_CACHE_ENTRIES,
  ) {}

  /** Remembers the changes of `event` (a watcher with include_previous read it), so the next change of each document finds it at once. */
  remember(collection: string, event: FeedEvent): void {
    for (const c of event.changes) this.set(key(collection, c.revision), c.doc ?? null);
  }

  /** The document at `revision` of `collection` (0: none). */
  async lookup(collection: string, revision: number): Promise<PreviousLookup> {
    if (revision <= 0) return {};
    const hit = this.cache.get(key(collection, revision));
    if (hit !== undefined) return hit === null ? {} : { doc: hit };
    for (const span of [1, ...SPANS]) {
      const found = await this.scan(collection, revision, span);
      if (found === 'unavailable') return found;
      if (found !== undefined) return found;
    }
    return 'unavailable';
  }

  /** Cached entries (a gauge for tests). */
  get size(): number {
    return this.cache.size;
  }

  /**
   * Searches the events after `revision - span` up to `revision` for the
   * change at `revision`: found, not in this span (undefined), or below the
   * retained history.
   */
  private async scan(collection: string, revision: number, span: number): Promise<PreviousLookup | undefined> {
    const bounds = await this.feed.bounds(collection);
    if (revision <= bounds.oldest || revision > bounds.current) return 'unavailable';
    const after = Math.max(bounds.oldest, revision - span);
    let events: readonly FeedEvent[];
    try {
      events = (await this.feed.read(collection, after, SCAN_LIMIT)).events;
    } catch (e) {
      if (e instanceof RevisionOutOfRange) return 'unavailable'; // trimmed meanwhile
      throw e;
    }
    for (const event of events) {
      if (event.revision > revision) break;
      this.remember(collection, event);
      const change = event.changes.find((c) => c.revision === revision);
      if (change !== undefined) return change.doc === undefined ? {} : { doc: change.doc };
    }
    // Not within this span; with the whole retained history scanned, the revision was never published.
    return after === bounds.oldest && (events.length < SCAN_LIMIT || events[events.length - 1]!.revision > revision)
      ? 'unavailable'
      : undefined;
  }

  private set(k: string, v: ChangedDocument | null): void {
    this.cache.delete(k);
    this.cache.set(k, v);
    if (this.cache.size > this.capacity) this.cache.delete(this.cache.keys().next().value!);
  }
}

function key(collection: string, revision: number): string {
  return `${collection}\u0000${revision}`;
}
