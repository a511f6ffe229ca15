/**
 * The last N released events of one watched collection, as the reader loop
 * decoded them (docs/adr/0012 §7), so a watcher near the head reads from
 * memory instead of sending XRANGE. The ring holds a contiguous run of the
 * stream: every entry after its first one that the loop has read.
 */
import type { FeedEvent, FeedPage } from '../change-feed.js';
import type { ReleasedEntry } from './redis-feed-layout.js';

/** Entries kept per collection by default (SB_WATCH_RING_ENTRIES). */
export const DEFAULT_RING_ENTRIES = 4096;

/** A bounded, contiguous run of the newest released events of a collection. */
export class RecentRing {
  private events: FeedEvent[] = [];
  private mark = 0;

  constructor(private readonly capacity = DEFAULT_RING_ENTRIES) {}

  /** The watermark of the newest entry pushed (0 when none). */
  get watermark(): number {
    return this.mark;
  }

  /** The number of events held. */
  get size(): number {
    return this.events.length;
  }

  /** Appends entries the loop read next (in stream order), dropping the oldest beyond capacity. */
  push(entries: readonly ReleasedEntry[]): void {
    for (const { event, w } of entries) {
      this.events.push(event);
      this.mark = Math.max(this.mark, w);
    }
    if (this.events.length > this.capacity) this.events = this.events.slice(this.events.length - this.capacity);
  }

  /**
   * The page after `after` when the ring can answer it exactly: `after` is at
   * or past its first event and not past its watermark; undefined otherwise.
   */
  page(after: number, limit: number): FeedPage | undefined {
    const first = this.events[0];
    if (first === undefined || after < first.revision || after > this.mark) return undefined;
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.events[mid]!.revision <= after) lo = mid + 1;
      else hi = mid;
    }
    return { events: this.events.slice(lo, lo + Math.max(0, limit)), watermark: this.mark };
  }

  /** Forgets everything (a new feed generation). */
  clear(): void {
    this.events = [];
    this.mark = 0;
  }
}
