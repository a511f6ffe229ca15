/**
 * The trash sweeper (docs/adr/0013 §8): one round lists the trash markers in
 * key order, which is due order, and stops at the first one not yet due. For
 * each due marker (a few at a time) it reads the object's pointer and deletes the marker's data
 * only when the pointer does not name it (a pointer move that failed after
 * its marker landed leaves the data named: the marker is just dropped), then
 * deletes the marker. A data key, once unreferenced, is never referenced
 * again (every commit points to fresh data), so the check cannot be undone.
 *
 * A marker that fails (its pointer unreadable, a delete refused) is left for
 * the next round and counted; the round goes on with the others. Callers run
 * rounds under the coordinator mutex `sweep:objtrash` (object-engine.ts).
 */
import type { Clock } from '../common/clock.js';
import { OBJECT_TRASH_ROOT, trashMarkerDue } from '../format/bucket-layout.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { ObjectStore } from '../storage/objects/object-store.js';
import type { PointerRead } from './object-pointers.js';
import { decodeTrashEntry } from './trash-markers.js';

/** What one round did. */
export interface TrashSweepReport {
  /** Due markers whose data no pointer named: data deleted. */
  readonly deleted: number;
  /** Due markers whose data the pointer still named (a move that did not happen): only the marker removed. */
  readonly dropped: number;
  /** Due markers that failed this round (left for the next one). */
  readonly failed: number;
}

/** What the sweeper reads and deletes through. */
export interface TrashSweeperDeps {
  readonly blobs: BlobStore;
  readonly objects: ObjectStore;
  /** The pointer of (collection, id) (ObjectPointers.read). */
  readonly readPointer: (collection: string, id: string, signal?: AbortSignal) => Promise<PointerRead | undefined>;
  readonly clock: Clock;
  /** Receives each failed marker's error. */
  readonly onError?: (err: unknown, markerKey: string) => void;
}

/** Markers handled at once within a page (each costs up to four small requests). */
export const TRASH_SWEEP_CONCURRENCY = 8;

/** One round over the due markers (see the file comment). */
export async function sweepTrash(deps: TrashSweeperDeps, signal?: AbortSignal): Promise<TrashSweepReport> {
  const now = deps.clock.now();
  const report = { deleted: 0, dropped: 0, failed: 0 };
  let startAfter: string | undefined;
  for (;;) {
    const page = await deps.blobs.list({ prefix: OBJECT_TRASH_ROOT, startAfter, limit: 1000 }, signal);
    const firstLater = page.keys.findIndex((key) => (trashMarkerDue(key) ?? 0) > now);
    const due = firstLater < 0 ? page.keys : page.keys.slice(0, firstLater);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < due.length) {
        const key = due[next++]!;
        try {
          const outcome = await sweepOne(deps, key, signal);
          if (outcome !== undefined) report[outcome]++;
        } catch (e) {
          if (signal?.aborted === true) throw e;
          report.failed++;
          deps.onError?.(e, key);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(TRASH_SWEEP_CONCURRENCY, due.length) }, worker));
    if (firstLater >= 0 || !page.isTruncated || page.keys.length === 0) return report;
    startAfter = page.keys[page.keys.length - 1];
  }
}

/** One due marker: its data deleted unless named, then the marker. Undefined when the marker was gone already. */
async function sweepOne(deps: TrashSweeperDeps, key: string, signal?: AbortSignal): Promise<'deleted' | 'dropped' | undefined> {
  const blob = trashMarkerDue(key) === undefined ? undefined : await deps.blobs.get(key, signal);
  const entry = blob === undefined ? undefined : decodeOrUndefined(blob.body, key);
  if (entry === undefined) {
    if (blob === undefined && trashMarkerDue(key) !== undefined) return undefined; // swept meanwhile
    // Not a marker (a stray key under the prefix, or unreadable bytes): it cannot say which data to delete,
    // so only the key goes; data it may have named is left to the orphan scan.
    await deps.blobs.delete(key, undefined, signal);
    return 'dropped';
  }
  const current = await deps.readPointer(entry.collection, entry.id, signal);
  const named = current?.pointer.data === entry.data;
  if (!named) await deps.objects.delete(entry.data, undefined, signal);
  await deps.blobs.delete(key, undefined, signal);
  return named ? 'dropped' : 'deleted';
}

function decodeOrUndefined(bytes: Uint8Array, key: string) {
  try {
    return decodeTrashEntry(bytes, key);
  } catch {
    return undefined;
  }
}
