/**
 * The in-memory change feed of one collection (docs/adr/0012 §3): the
 * revision counter, the pending revisions, the queue of resolved events
 * waiting for a smaller pending revision, the released history with its
 * retention, and the index behind `replaced`. Synchronous: the journal's
 * durability is LocalFeed's business.
 */
import {
  RevisionOutOfRange,
  type FeedBounds,
  type FeedEvent,
  type FeedPage,
  type PendingRef,
  type PendingRevision,
} from '../change-feed.js';
import { ReleasedHistory } from './released-history.js';

/** How much released history a collection keeps. */
export interface Retention {
  readonly retainCount: number;
  readonly retainMs: number;
}

/** A pending revision's bookkeeping. */
interface PendingEntry {
  readonly ref: PendingRef;
  readonly allocatedAtMs: number;
  /** A resolution of it is being made durable: another resolve must not take it. */
  claimed: boolean;
}

/** What a settlement released. */
export interface Released {
  /** Events released now, in revision order (possibly none). */
  readonly events: readonly FeedEvent[];
  readonly watermark: number;
  /** True when the watermark moved. */
  readonly advanced: boolean;
}

/** The state at open, rebuilt from the journal (feed-replay.ts). */
export interface RestoredState {
  /** The largest revision ever allocated (or recorded by a floor); 0 when none. */
  readonly current: number;
  /** The oldest revision recorded by a floor; 0 when none. */
  readonly floor: number;
  /** Unresolved allocations, in revision order. */
  readonly pending: readonly { revision: number; ref: PendingRef; allocatedAtMs: number }[];
  /** Resolved events, in any order. */
  readonly events: readonly FeedEvent[];
}

/** One collection's feed, in memory. */
export class CollectionState {
  private current: number;
  private oldest: number;
  /** In allocation order, hence revision order: the first key is the smallest. */
  private readonly pendingRevs = new Map<number, PendingEntry>();
  /** Resolved, not yet released, sorted by revision. */
  private readonly queue: FeedEvent[] = [];
  private readonly history = new ReleasedHistory();
  /** `id \n prevRevision` → how many retained or queued changes replaced that state. */
  private readonly replacedIndex = new Map<string, number>();

  constructor(
    readonly name: string,
    born: number,
    private readonly retention: Retention,
    private readonly nowMs: () => number,
  ) {
    this.current = born;
    this.oldest = born;
  }

  /** Takes the next revision (> the last, ≥ `nowMs` in µs) and makes it pending, at once. */
  allocate(ref: PendingRef, nowMs: number): number {
    const revision = Math.max(this.current + 1, Math.floor(nowMs * 1000));
    if (revision > Number.MAX_SAFE_INTEGER) throw new Error(`revision of ${this.name} would exceed Number.MAX_SAFE_INTEGER`);
    this.current = revision;
    this.pendingRevs.set(revision, { ref, allocatedAtMs: nowMs, claimed: false });
    return revision;
  }

  /** True while `revision` is allocated and not resolved. */
  isPending(revision: number): boolean {
    return this.pendingRevs.has(revision);
  }

  /** Marks the still pending, unclaimed `revisions` as being resolved and returns them, ascending. */
  claim(revisions: readonly number[]): number[] {
    const taken = [...new Set(revisions)].filter((r) => this.pendingRevs.get(r)?.claimed === false).sort((a, b) => a - b);
    for (const r of taken) this.pendingRevs.get(r)!.claimed = true;
    return taken;
  }

  /** Undoes `claim` (the resolution could not be made durable): they are pending as before. */
  unclaim(revisions: readonly number[]): void {
    for (const r of revisions) {
      const entry = this.pendingRevs.get(r);
      if (entry) entry.claimed = false;
    }
  }

  /** Resolves `revisions` as `event` (null: holes), then releases what no pending revision holds back. */
  settle(revisions: readonly number[], event: FeedEvent | null): Released {
    const before = this.watermark();
    for (const r of revisions) this.pendingRevs.delete(r);
    if (event) this.enqueue(event);
    const events = this.release();
    const watermark = this.watermark();
    return { events, watermark, advanced: watermark !== before };
  }

  /** Rebuilds the state found in the journal; returns nothing to notify (no one listens yet). */
  restore(state: RestoredState): void {
    this.current = Math.max(this.current, state.current);
    this.oldest = Math.max(this.oldest, state.floor);
    for (const p of state.pending) this.pendingRevs.set(p.revision, { ref: p.ref, allocatedAtMs: p.allocatedAtMs, claimed: false });
    for (const e of state.events) if (e.revision > this.oldest) this.enqueue(e);
    this.release();
  }

  /** One below the smallest pending revision, else the last allocated. */
  watermark(): number {
    for (const r of this.pendingRevs.keys()) return r - 1;
    return this.current;
  }

  /** oldest, watermark and current now. */
  bounds(): FeedBounds {
    return { oldest: this.oldest, watermark: this.watermark(), current: this.current };
  }

  /** Released events after `after`, at most `limit`; RevisionOutOfRange outside [oldest, current]. */
  read(after: number, limit: number): FeedPage {
    const bounds = this.bounds();
    if (after < bounds.oldest || after > bounds.current) throw new RevisionOutOfRange(this.name, after, bounds);
    return { events: this.history.after(after, limit), watermark: bounds.watermark };
  }

  /** True when a queued or retained change of `id` has `prevRevision` (> 0). */
  replaced(id: string, prevRevision: number): boolean {
    return prevRevision > 0 && this.replacedIndex.has(replacedKey(id, prevRevision));
  }

  /** The pending revisions allocated at or before `beforeMs`. */
  pending(beforeMs: number): PendingRevision[] {
    const out: PendingRevision[] = [];
    for (const [revision, e] of this.pendingRevs)
      if (e.allocatedAtMs <= beforeMs) out.push({ collection: this.name, revision, ref: e.ref, allocatedAtMs: e.allocatedAtMs });
    return out;
  }

  /** The largest revision allocated (or `born`). */
  currentRevision(): number {
    return this.current;
  }

  /** The oldest revision a reader may start after. */
  oldestRevision(): number {
    return this.oldest;
  }

  private enqueue(event: FeedEvent): void {
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.queue[mid].revision < event.revision) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, event);
    this.index(event, 1);
  }

  /** Moves every queued event below the smallest pending revision to the history, then applies retention. */
  private release(): FeedEvent[] {
    const limit = this.watermark();
    let n = 0;
    while (n < this.queue.length && this.queue[n].revision <= limit) n++;
    const released = this.queue.splice(0, n);
    for (const e of released) this.history.push(e);
    this.retain();
    return released;
  }

  /** Drops the oldest released events beyond the count or older than the age, raising `oldest`. */
  private retain(): void {
    const minCommitMs = this.nowMs() - this.retention.retainMs;
    for (;;) {
      const first = this.history.first();
      if (!first || (this.history.size <= this.retention.retainCount && first.commitTimeMs >= minCommitMs)) return;
      this.history.dropFirst();
      this.oldest = Math.max(this.oldest, first.revision);
      this.index(first, -1);
    }
  }

  private index(event: FeedEvent, delta: 1 | -1): void {
    for (const c of event.changes) {
      if (c.prevRevision <= 0) continue;
      const key = replacedKey(c.id, c.prevRevision);
      const n = (this.replacedIndex.get(key) ?? 0) + delta;
      if (n > 0) this.replacedIndex.set(key, n);
      else this.replacedIndex.delete(key);
    }
  }
}

function replacedKey(id: string, prevRevision: number): string {
  return `${id}\n${prevRevision}`;
}

/**
 * The event to record when only `taken` of the `given` revisions were still
 * pending: the changes of revisions resolved by someone else are dropped
 * (the first resolution wins), and the event takes the smallest revision it
 * still settles, so it is never queued below the watermark. Null when no
 * change is left (holes).
 */
export function narrowEvent(event: FeedEvent | null, given: readonly number[], taken: readonly number[]): FeedEvent | null {
  if (!event || taken.length === 0) return null;
  if (taken.length === new Set(given).size) return event;
  const gone = new Set(given.filter((r) => !taken.includes(r)));
  const changes = event.changes.filter((c) => !gone.has(c.revision));
  if (changes.length === 0) return null;
  return { ...event, revision: taken[0], changes };
}
