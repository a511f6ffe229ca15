/**
 * The in-process purge schedule of document expiry (docs/streams.md,
 * "Document expiry (TTL)"): a min-heap of (expire time, collection, id)
 * with, per document, the latest expire time scheduled. A later schedule of
 * the same document replaces the earlier one (the heap keeps the stale entry
 * and skips it when it surfaces). The schedule is a hint: the purger
 * re-reads every document it takes, so an entry whose document was
 * rewritten or deleted is only dropped.
 *
 * A taken entry stays known (`get`) while it is purged and for
 * KEEP_SETTLED_MS after (`settle`): a keys-only listing that listed the id
 * before its purge deleted it still sees it as due and re-reads it.
 */

import type { PurgeSchedule, ScheduledExpiry } from './purge-schedule.js';

export type { ScheduledExpiry } from './purge-schedule.js';

/** How long a settled entry stays known after its purge, in ms. */
export const KEEP_SETTLED_MS = 60_000;

/** The min-heap by expire time (see the file comment). */
export class ExpirySchedule implements PurgeSchedule {
  private readonly heap: ScheduledExpiry[] = [];
  /** collection → id → the expire time last scheduled. */
  private readonly latest = new Map<string, Map<string, number>>();
  /** Entries purged (or dropped), oldest first, with when: forgotten KEEP_SETTLED_MS later. */
  private readonly settled: { readonly e: ScheduledExpiry; readonly atMs: number }[] = [];

  /** Schedules (collection, id) at `expireAtMs`, replacing its earlier entry. */
  add(collection: string, id: string, expireAtMs: number): void {
    let ids = this.latest.get(collection);
    if (ids === undefined) this.latest.set(collection, (ids = new Map()));
    if (ids.get(id) === expireAtMs) return;
    ids.set(id, expireAtMs);
    this.push({ collection, id, expireAtMs });
  }

  /**
   * Schedules (collection, id) at `expireAtMs` unless it is known at that
   * time or earlier (a read or a rebuild met it; a later time known is one
   * a failed write scheduled).
   */
  restore(collection: string, id: string, expireAtMs: number): void {
    const known = this.get(collection, id);
    if (known === undefined || known > expireAtMs) this.add(collection, id, expireAtMs);
  }

  /** The ids among `ids` scheduled at or before `nowMs` (taken and recently settled ones included). */
  dueAmong(collection: string, ids: readonly string[], nowMs: number): ReadonlySet<string> {
    const out = new Set<string>();
    for (const id of ids) {
      const at = this.get(collection, id);
      if (at !== undefined && at <= nowMs) out.add(id);
    }
    return out;
  }

  /** The expire time scheduled for (collection, id), if any. */
  get(collection: string, id: string): number | undefined {
    return this.latest.get(collection)?.get(id);
  }

  /**
   * Takes up to `max` entries due at `nowMs` (expire time ≤ now), earliest
   * first, for purging: each is then `settle`d, or `retry`d when its purge
   * failed. They stay known to `get` meanwhile.
   */
  takeDue(nowMs: number, max: number): ScheduledExpiry[] {
    this.forgetSettled(nowMs);
    const out: ScheduledExpiry[] = [];
    while (out.length < max && this.heap.length > 0 && this.heap[0]!.expireAtMs <= nowMs) {
      const top = this.pop();
      if (this.latest.get(top.collection)?.get(top.id) !== top.expireAtMs) continue; // replaced by a later schedule
      out.push(top);
    }
    return out;
  }

  /** A taken entry was purged or dropped at `nowMs`: forgotten KEEP_SETTLED_MS later (unless scheduled again). */
  settle(e: ScheduledExpiry, nowMs: number): void {
    this.settled.push({ e, atMs: nowMs });
    this.forgetSettled(nowMs);
  }

  /** A taken entry whose purge failed: due again at the next take. */
  retry(e: ScheduledExpiry): void {
    if (this.latest.get(e.collection)?.get(e.id) === e.expireAtMs) this.push(e);
  }

  /** The earliest scheduled expire time, if any (stale entries included: a hint for timers). */
  nextAtMs(): number | undefined {
    return this.heap[0]?.expireAtMs;
  }

  private forgetSettled(nowMs: number): void {
    while (this.settled.length > 0 && this.settled[0]!.atMs <= nowMs - KEEP_SETTLED_MS) {
      const { e } = this.settled.shift()!;
      const ids = this.latest.get(e.collection);
      if (ids?.get(e.id) !== e.expireAtMs) continue; // scheduled again since
      ids.delete(e.id);
      if (ids.size === 0) this.latest.delete(e.collection);
    }
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
