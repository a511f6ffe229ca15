/**
 * Rebuilds a collection's state from its journal records (in write order):
 * the counter is the largest revision allocated or recorded by a floor, the
 * pending revisions are those allocated and never resolved, and each
 * resolution settles the revisions not already settled by an earlier one
 * (the first resolution wins, as it did when it was written).
 */
import type { FeedEvent } from '../change-feed.js';
import { narrowEvent, type RestoredState } from './collection-state.js';
import { isAllocation, isResolution, type AllocationRecord, type JournalRecord } from './feed-records.js';

/** The state the records of one collection describe. */
export function replayRecords(records: readonly JournalRecord[]): RestoredState {
  let current = 0;
  let floor = 0;
  const allocated = new Map<number, AllocationRecord>();
  const resolved = new Set<number>();
  const events: FeedEvent[] = [];
  for (const rec of records) {
    if (isAllocation(rec)) {
      current = Math.max(current, rec.a);
      allocated.set(rec.a, rec);
    } else if (isResolution(rec)) {
      const taken = [...new Set(rec.r)].filter((r) => !resolved.has(r)).sort((a, b) => a - b);
      for (const r of taken) resolved.add(r);
      const event = narrowEvent(rec.e, rec.r, taken);
      if (event) events.push(event);
    } else {
      floor = Math.max(floor, rec.f);
      current = Math.max(current, rec.c);
    }
  }
  const pending = [...allocated.values()]
    .filter((a) => !resolved.has(a.a))
    .sort((x, y) => x.a - y.a)
    .map((a) => ({
      revision: a.a,
      ref: { id: a.id, op: a.op, prevRevision: a.p, ...(a.x === undefined ? {} : { txid: a.x }) },
      allocatedAtMs: a.t,
    }));
  return { current, floor, pending, events };
}
