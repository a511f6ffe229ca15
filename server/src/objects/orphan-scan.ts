/**
 * The orphan data scan (docs/adr/0013 §8): data a server left behind when it
 * died between its data write and its pointer commit, or before a loser's
 * cleanup, or that a failed delete left. One round lists `_objdata/` and
 * deletes a data key when all of these hold:
 * - it is older than `minAgeMs` (SB_UPLOAD_MAX_AGE_MS + the margin, 1 h by
 *   default), read from its version id, a UUIDv7 (an upload in progress is
 *   younger than that);
 * - its object's pointer does not name it;
 * - no trash marker names it (its grace period is still running: the trash
 *   sweeper deletes it when due);
 * - no upload session has its version id as upload id (a resumable upload's
 *   data key is `_objdata/<c>/<id>/<uploadId>`: one being completed may
 *   exist before its pointer does).
 * Markers and sessions are listed after every pointer was read: a pointer
 * moves away from data only after its marker landed, so data found
 * unreferenced whose marker exists shows up in the later listing.
 * O(data keys) listing plus a pointer read per object, so it runs rarely:
 * scanOrphansIfDue runs a scan only when the stamp `_meta/orphan-scan` says
 * the last one finished at least an interval ago (servers restarted more
 * often than the interval still scan).
 */
import type { Clock } from '../common/clock.js';
import { OBJECT_DATA_ROOT, OBJECT_TRASH_ROOT, ORPHAN_SCAN_STAMP_KEY, parseObjectDataKey } from '../format/bucket-layout.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { ObjectStore } from '../storage/objects/object-store.js';
import type { PointerRead } from './object-pointers.js';
import { isUploadId, uploadIdTime } from './resumable/upload-id.js';
import { SESSION_PREFIX } from './resumable/upload-session.js';
import { decodeTrashEntry } from './trash-markers.js';

/** What one scan did. */
export interface OrphanScanReport {
  /** Data keys listed. */
  readonly scanned: number;
  /** Orphans deleted. */
  readonly deleted: number;
}

/** What the scan reads and deletes through. */
export interface OrphanScanDeps {
  readonly blobs: BlobStore;
  readonly objects: ObjectStore;
  /** The pointer of (collection, id) (ObjectPointers.read). */
  readonly readPointer: (collection: string, id: string, signal?: AbortSignal) => Promise<PointerRead | undefined>;
  readonly clock: Clock;
  /** Data younger than this is never an orphan, in ms (SB_UPLOAD_MAX_AGE_MS + SB_OBJECT_ORPHAN_MARGIN_MS). */
  readonly minAgeMs: number;
}

/** Every key under `prefix` of a BlobStore, page by page. */
async function* blobKeys(blobs: BlobStore, prefix: string, signal?: AbortSignal): AsyncGenerator<string> {
  let startAfter: string | undefined;
  for (;;) {
    const page = await blobs.list({ prefix, startAfter, limit: 1000 }, signal);
    yield* page.keys;
    if (!page.isTruncated || page.keys.length === 0) return;
    startAfter = page.keys[page.keys.length - 1];
  }
}

/** The data keys old enough and named by no pointer: the candidates. */
async function unreferencedOldData(deps: OrphanScanDeps, signal?: AbortSignal): Promise<{ scanned: number; candidates: string[] }> {
  const cutoff = deps.clock.now() - deps.minAgeMs;
  const candidates: string[] = [];
  let scanned = 0;
  // The versions of one object are listed together: its pointer is read once for all of them.
  let last: { name: string; data: string | undefined } | undefined;
  let startAfter: string | undefined;
  for (;;) {
    const page = await deps.objects.list({ prefix: OBJECT_DATA_ROOT, startAfter, limit: 1000 }, signal);
    for (const { key } of page.objects) {
      scanned++;
      const parsed = parseObjectDataKey(key);
      // A key of another shape, or a version id that is not a UUIDv7, was not written by this code: left alone.
      if (parsed === undefined || !isUploadId(parsed.vid) || uploadIdTime(parsed.vid) > cutoff) continue;
      const name = `${parsed.collection}/${parsed.id}`;
      if (last?.name !== name) {
        const read = await deps.readPointer(parsed.collection, parsed.id, signal);
        last = { name, data: read?.pointer.data };
      }
      if (last.data !== key) candidates.push(key);
    }
    if (!page.isTruncated || page.objects.length === 0) return { scanned, candidates };
    startAfter = page.objects[page.objects.length - 1]!.key;
  }
}

/** The data keys named by a trash marker (pending or due: the trash sweeper owns them). */
async function markedData(blobs: BlobStore, signal?: AbortSignal): Promise<Set<string>> {
  const marked = new Set<string>();
  for await (const key of blobKeys(blobs, OBJECT_TRASH_ROOT, signal)) {
    const blob = await blobs.get(key, signal);
    if (blob === undefined) continue;
    try {
      marked.add(decodeTrashEntry(blob.body, key).data);
    } catch {
      // an unreadable marker names nothing (the trash sweeper drops it)
    }
  }
  return marked;
}

/** One scan (see the file comment). Callers run it under a coordinator mutex. */
export async function scanOrphans(deps: OrphanScanDeps, signal?: AbortSignal): Promise<OrphanScanReport> {
  const { scanned, candidates } = await unreferencedOldData(deps, signal);
  if (candidates.length === 0) return { scanned, deleted: 0 };
  const marked = await markedData(deps.blobs, signal);
  const sessions = new Set<string>();
  for await (const key of blobKeys(deps.blobs, SESSION_PREFIX, signal)) sessions.add(key.slice(SESSION_PREFIX.length));
  let deleted = 0;
  for (const key of candidates) {
    if (marked.has(key) || sessions.has(parseObjectDataKey(key)!.vid)) continue;
    await deps.objects.delete(key, undefined, signal);
    deleted++;
  }
  return { scanned, deleted };
}

/** When the last scan finished (ms since the epoch), from the stamp; 0 when none or unreadable. */
async function lastScanMs(blobs: BlobStore, signal?: AbortSignal): Promise<number> {
  const blob = await blobs.get(ORPHAN_SCAN_STAMP_KEY, signal);
  if (blob === undefined) return 0;
  try {
    const v = JSON.parse(Buffer.from(blob.body).toString('utf8')) as { lastScanMs?: unknown };
    return typeof v.lastScanMs === 'number' ? v.lastScanMs : 0;
  } catch {
    return 0;
  }
}

/** A scan when the last one finished `intervalMs` ago or more (then the stamp is rewritten); undefined when not due. */
export async function scanOrphansIfDue(
  deps: OrphanScanDeps,
  intervalMs: number,
  signal?: AbortSignal,
): Promise<OrphanScanReport | undefined> {
  if (deps.clock.now() < (await lastScanMs(deps.blobs, signal)) + intervalMs) return undefined;
  const report = await scanOrphans(deps, signal);
  await deps.blobs.put(ORPHAN_SCAN_STAMP_KEY, Buffer.from(JSON.stringify({ lastScanMs: deps.clock.now() })), undefined, signal);
  return report;
}
