/**
 * The in-process purge schedule of document expiry (docs/streams.md,
 * "Document expiry (TTL)"): a min-heap of (expire time, collection, id)
 * with, per document, the latest expire time scheduled. A later schedule of
 * the same document replaces the earlier one (the heap keeps the stale entry
 * and skips it when it surfaces). The schedule is a hint: the purger
 * re-reads every document it takes, so an entry whose document was
 * rewritten or deleted is only dropped.
 */

/** One scheduled purge. */
export interface ScheduledExpiry {
  readonly collection: string;
  readonly id: string;
  /** ms since the epoch. */
  readonly expireAtMs: number;
}

/** The min-heap by expire time (see the file comment). */
export class ExpirySchedule {
  private readonly heap: ScheduledExpiry[] = [];
  /** collection → id → the expire time last scheduled. */
  private readonly latest = new Map<string, Map<string, number>>();

  /** How many documents are scheduled. */
  get size(): number {
    let n = 0;
    for (const ids of this.latest.values()) n += ids.size;
    return n;
  }

  /** Schedules (collection, id) at `expireAtMs`, replacing its earlier entry. */
  add(collection: string, id: string, expireAtMs: number): void {
    let ids = this.latest.get(collection);
    if (ids === undefined) this.latest.set(collection, (ids = new Map()));
    if (ids.get(id) === expireAtMs) return;
    ids.set(id, expireAtMs);
    this.push({ collection, id, expireAtMs });
  }

  /** The expire time scheduled for (collection, id), if any. */
  get(collection: string, id: string): number | undefined {
    return this.latest.get(collection)?.get(id);
  }

  /** Takes (removes) up to `max` entries due at `nowMs` (expire time ≤ now), earliest first. */
  takeDue(nowMs: number, max: number): ScheduledExpiry[] {
    const out: ScheduledExpiry[] = [];
    while (out.length < max && this.heap.length > 0 && this.heap[0]!.expireAtMs <= nowMs) {
      const top = this.pop();
      const ids = this.latest.get(top.collection);
      if (ids?.get(top.id) !== top.expireAtMs) continue; // replaced by a later schedule
      ids.delete(top.id);
      if (ids.size === 0) this.latest.delete(top.collection);
      out.push(top);
    }
    return out;
  }

  /** The earliest scheduled expire time, if any (stale entries included: a hint for timers). */
  nextAtMs(): number | undefined {
    return this.heap[0]?.expireAtMs;
  }

  private push(e: ScheduledExpiry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.expireAtMs <= e.expireAtMs) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = e;
  }

  private pop(): ScheduledExpiry {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && h[r]!.expireAtMs < h[l]!.expireAtMs ? r : l;
      if (h[c]!.expireAtMs >= last.expireAtMs) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
    return top;
  }
}
