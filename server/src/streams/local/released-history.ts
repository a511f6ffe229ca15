/**
 * The released, retained events of one collection: an array sorted by
 * revision with a moving start, so retention drops from the front in O(1)
 * and reads find their start by binary search.
 */
import type { FeedEvent } from '../change-feed.js';

/** Released events in revision order, oldest first. */
export class ReleasedHistory {
  private events: FeedEvent[] = [];
  private head = 0;

  /** How many events are retained. */
  get size(): number {
    return this.events.length - this.head;
  }

  /** The oldest retained event. */
  first(): FeedEvent | undefined {
    return this.events[this.head];
  }

  /** Appends an event; its revision must exceed every retained one. */
  push(event: FeedEvent): void {
    this.events.push(event);
  }

  /** Drops and returns the oldest retained event. */
  dropFirst(): FeedEvent | undefined {
    const e = this.events[this.head];
    if (e === undefined) return undefined;
    this.events[this.head++] = undefined as unknown as FeedEvent;
    if (this.head > 1024 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
    return e;
  }

  /** Up to `limit` events with revision > `after`, in order. */
  after(after: number, limit: number): FeedEvent[] {
    let lo = this.head;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.events[mid].revision <= after) lo = mid + 1;
      else hi = mid;
    }
    return this.events.slice(lo, lo + Math.max(0, limit));
  }

  /** Every retained event, oldest first. */
  all(): FeedEvent[] {
    return this.events.slice(this.head);
  }
}
