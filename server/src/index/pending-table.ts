/**
 * The pending index work of the in-process index store (docs/adr/0008): per
 * collection, document id → the seq of its last unconfirmed write and when
 * it was recorded. The Redis adapter keeps the same thing in one hash per
 * collection (redis-index-layout.ts `p`).
 */
import type { Clock } from '../common/clock.js';
import type { PendingWrite } from './index-store.js';

/** Pending records by collection and id, timed by the injected clock. */
export class PendingTable {
  private readonly byCollection = new Map<string, Map<string, { seq: number; at: number }>>();

  /** A table timed by `clock`. */
  constructor(private readonly clock: Clock) {}

  /** Records (id, seq, now), replacing the id's earlier record. */
  record(collection: string, id: string, seq: number): void {
    let m = this.byCollection.get(collection);
    if (m === undefined) this.byCollection.set(collection, (m = new Map()));
    m.set(id, { seq, at: this.clock.now() });
  }

  /** Removes the record of `id` when it holds `seq`. */
  clear(collection: string, id: string, seq: number): void {
    const m = this.byCollection.get(collection);
    if (m?.get(id)?.seq !== seq) return;
    m.delete(id);
    if (m.size === 0) this.byCollection.delete(collection);
  }

  /** Records at least `olderThanMs` old, oldest first, at most `limit`. */
  older(collection: string, olderThanMs: number, limit: number): PendingWrite[] {
    const now = this.clock.now();
    const out: PendingWrite[] = [];
    for (const [id, r] of this.byCollection.get(collection) ?? []) {
      if (now - r.at >= olderThanMs) out.push({ id, seq: r.seq, ageMs: now - r.at });
    }
    return out.sort((a, b) => b.ageMs - a.ageMs).slice(0, Math.max(0, limit));
  }
}
