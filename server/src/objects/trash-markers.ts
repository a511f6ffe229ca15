/**
 * Trash markers (docs/adr/0013 §8): before a pointer that names older data
 * is replaced or deleted, a create-only marker
 * `_objtrash/<deleteAfterMs, 13 digits>/<random>` naming that data is written
 * on the BlobStore, due SB_OBJECT_GRACE_MS from now. The data itself stays
 * until the trash sweeper (trash-sweeper.ts) finds the marker due, so a
 * download of the old version in progress finishes. A crash between the
 * marker and the pointer move leaks nothing (the sweeper then finds the
 * data still named and just drops the marker).
 */
import type { Clock, RandomSource } from '../common/clock.js';
import { systemRandom } from '../common/clock.js';
import type { Failpoints } from '../common/failpoints.js';
import { DbError } from '../errors/db-error.js';
import { trashMarkerKey } from '../format/bucket-layout.js';
import type { BlobStore } from '../storage/blob-store.js';

/** The marker format version this code writes and reads. */
export const TRASH_SCHEMA_VERSION = 1;

/** The failpoint right after a marker landed, before the pointer moves (crash tests). */
export const AFTER_TRASH_MARKER = 'objects.after-trash-marker';

/** What a marker names: the data key to delete, and the object whose pointer must no longer name it. */
export interface TrashEntry {
  /** The data key (`_objdata/<collection>/<id>/<vid>`). */
  readonly data: string;
  readonly collection: string;
  readonly id: string;
}

/** What ObjectPointers needs around a pointer move: mark before, unmark after a move that certainly did not happen. */
export interface TrashMarks {
  /** Writes a marker for `data` (due after the grace period); returns its key. */
  mark(collection: string, id: string, data: string, signal?: AbortSignal): Promise<string>;
  /** Removes a marker written for a move that lost its condition (best effort: a leftover is only dropped later). */
  unmark(markerKey: string): Promise<void>;
}

/** The marker's JSON bytes. */
export function encodeTrashEntry(e: TrashEntry): Uint8Array {
  const json = { smarterbase: { schemaVersion: TRASH_SCHEMA_VERSION, kind: 'objtrash' }, trash: e };
  return Buffer.from(JSON.stringify(json), 'utf8');
}

/** The entry of a marker's bytes; DbError internal OBJECT_CORRUPT when they are not one. */
export function decodeTrashEntry(bytes: Uint8Array, key: string): TrashEntry {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    v = undefined;
  }
  const t = (v as { trash?: Record<string, unknown> } | undefined)?.trash;
  const sb = (v as { smarterbase?: { kind?: unknown } } | undefined)?.smarterbase;
  if (sb?.kind !== 'objtrash' || typeof t?.data !== 'string' || typeof t.collection !== 'string' || typeof t.id !== 'string') {
    throw new DbError('internal', 'OBJECT_CORRUPT', `trash marker ${key} is not a trash marker`, { metadata: { key } });
  }
  return { data: t.data, collection: t.collection, id: t.id };
}

/** Options of TrashMarker. */
export interface TrashMarkerOptions {
  readonly blobs: BlobStore;
  readonly clock: Clock;
  /** SB_OBJECT_GRACE_MS: how long replaced data stays readable (0: due at once). */
  readonly graceMs: number;
  readonly random?: RandomSource;
  /** AFTER_TRASH_MARKER is hit after each marker. */
  readonly failpoints?: Failpoints;
  /** Receives a failure to remove a marker (left for the sweeper to drop). */
  readonly onCleanupError?: (err: unknown, key: string) => void;
}

/** Writes and removes trash markers (see the file comment). */
export class TrashMarker implements TrashMarks {
  constructor(private readonly o: TrashMarkerOptions) {}

  async mark(collection: string, id: string, data: string, signal?: AbortSignal): Promise<string> {
    const random = this.o.random ?? systemRandom;
    const key = trashMarkerKey(this.o.clock.now() + this.o.graceMs, Buffer.from(random.bytes(12)).toString('hex'));
    await this.o.blobs.put(key, encodeTrashEntry({ data, collection, id }), { ifNoneMatch: true }, signal);
    await this.o.failpoints?.reached(AFTER_TRASH_MARKER);
    return key;
  }

  async unmark(markerKey: string): Promise<void> {
    try {
      await this.o.blobs.delete(markerKey, undefined, AbortSignal.timeout(30_000));
    } catch (e) {
      this.o.onCleanupError?.(e, markerKey);
    }
  }
}
