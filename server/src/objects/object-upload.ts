/**
 * The one-stream upload (docs/adr/0013 §3, §4): header, then data chunks,
 * then finish_write. The bytes go once, unconditionally, to a fresh data key
 * `_objdata/<c>/<id>/<vid>` through ObjectStore.put (one PUT up to the part
 * size, multipart above it, one part in memory at a time); then the pointer's
 * conditional PUT commits. A create-only header is checked against the
 * pointer first (advisory: the commit decides). Any failure, a stream that
 * ends without finish_write, or a lost commit leaves nothing: the multipart
 * upload is aborted by the store, the data key deleted here. The data of a
 * replaced version is left to the trash sweeper (ObjectPointers.commit marks it).
 */
import { v7 as uuidv7 } from 'uuid';
import { DbError, invalid, isDbError } from '../errors/db-error.js';
import { objectDataKey } from '../format/bucket-layout.js';
import type { ObjectStore } from '../storage/objects/object-store.js';
import type { CallContext } from '../api/call-context.js';
import type { ObjectMeta, UploadMessage } from '../api/object-api.js';
import { objectExists, objectEtagMismatch, objectNotFound, type ObjectPointers } from './object-pointers.js';
import { objectTooLarge, validateUploadHeader, type UploadHeader } from './upload-header.js';

/** The limits an upload enforces. */
export interface UploadLimits {
  /** SB_OBJECT_MAX_BYTES. */
  readonly maxBytes: number;
  /** SB_OBJECT_PART_BYTES (also the single-PUT threshold). */
  readonly partBytes: number;
  /** SB_OBJECT_CHUNK_MAX_BYTES: the largest data message. */
  readonly chunkMaxBytes: number;
}

/** What an upload needs. */
export interface UploadDeps {
  readonly pointers: ObjectPointers;
  readonly objects: ObjectStore;
  readonly limits: UploadLimits;
  /** Receives failures to remove data of a failed upload (left for the orphan sweeper). */
  readonly onCleanupError?: (err: unknown, dataKey: string) => void;
}

/** INVALID_ARGUMENT CHECKSUM_MISMATCH (metadata what, expected, actual). */
function checksumMismatch(what: 'size' | 'sha256', expected: string, actual: string): DbError {
  return new DbError(
    'invalid',
    'CHECKSUM_MISMATCH',
    `the uploaded bytes have ${what} ${actual}, expected ${expected}: nothing was committed`,
    {
      metadata: { field: what === 'size' ? 'header.expected_size' : 'header.expected_sha256', expected, actual },
    },
  );
}

function uploadFinished(): DbError {
  return new DbError('failed_precondition', 'UPLOAD_FINISHED', 'a message came after finish_write: nothing was committed', {
    metadata: { state: 'finished' },
  });
}

/** Checks the advisory precondition against the current pointer, before any byte is stored. */
async function precheck(pointers: ObjectPointers, h: UploadHeader, signal: AbortSignal): Promise<void> {
  const p = h.precondition;
  if (p === undefined) return;
  const current = await pointers.read(h.collection, h.id, signal);
  if ('exists' in p && !p.exists && current !== undefined) throw objectExists(h.collection, h.id, current.etag);
  if ('exists' in p && p.exists && current === undefined) throw objectNotFound(h.collection, h.id);
  if ('etag' in p && current === undefined) throw objectNotFound(h.collection, h.id);
  if ('etag' in p && current !== undefined && current.etag !== p.etag) throw objectEtagMismatch(h.collection, h.id, p.etag, current.etag);
}

/**
 * The data of the stream after the header: each chunk checked against the
 * chunk, object and expected sizes; ends only after finish_write and the
 * stream's own end (a message after finish_write is UPLOAD_FINISHED).
 */
async function* dataOf(
  first: UploadMessage,
  rest: AsyncIterator<UploadMessage>,
  h: UploadHeader,
  limits: UploadLimits,
  total: { bytes: number },
): AsyncGenerator<Uint8Array, void, undefined> {
  let msg: UploadMessage | undefined = first;
  let index = 0;
  for (;;) {
    if (msg.header !== undefined && index > 0) throw invalid('INVALID_ARGUMENT', 'header', 'only the first message may carry a header');
    const data = msg.data;
    if (data !== undefined && data.byteLength > 0) {
      if (data.byteLength > limits.chunkMaxBytes)
        throw invalid('INVALID_ARGUMENT', 'data', `a data message may hold at most ${limits.chunkMaxBytes} bytes, got ${data.byteLength}`);
      total.bytes += data.byteLength;
      if (total.bytes > limits.maxBytes) throw objectTooLarge(total.bytes, limits.maxBytes);
      if (h.expectedSize !== undefined && total.bytes > h.expectedSize)
        throw checksumMismatch('size', String(h.expectedSize), `more than ${h.expectedSize}`);
      yield data;
    }
    if (msg.finishWrite) break;
    const next = await rest.next();
    if (next.done === true)
      throw invalid('INVALID_ARGUMENT', 'finish_write', 'the upload stream ended without finish_write: nothing was committed');
    msg = next.value;
    index++;
  }
  if ((await rest.next()).done !== true) throw uploadFinished();
  if (h.expectedSize !== undefined && total.bytes !== h.expectedSize)
    throw checksumMismatch('size', String(h.expectedSize), String(total.bytes));
}

/** Runs one Upload call (see the file comment). */
export async function runUpload(deps: UploadDeps, ctx: CallContext, messages: AsyncIterable<UploadMessage>): Promise<ObjectMeta> {
  const it = messages[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done === true || first.value.header === undefined)
    throw invalid('INVALID_ARGUMENT', 'header', 'the first message of an upload must carry the header');
  const h = validateUploadHeader(first.value.header, deps.limits.maxBytes);
  await precheck(deps.pointers, h, ctx.signal);
  const dataKey = objectDataKey(h.collection, h.id, uuidv7());
  const total = { bytes: 0 };
  let stored;
  try {
    stored = await deps.objects.put(dataKey, dataOf(first.value, it, h, deps.limits, total), {
      contentType: h.contentType,
      partSize: deps.limits.partBytes,
      signal: ctx.signal,
      ...(h.expectedSha256 === undefined ? {} : { expectedSha256: h.expectedSha256 }),
    });
  } catch (e) {
    // The store's own SHA-256 check (storage/objects/upload-errors.ts) becomes the API's reason.
    if (isDbError(e, 'INVALID_ARGUMENT') && e.field === 'sha256' && h.expectedSha256 !== undefined)
      throw checksumMismatch('sha256', h.expectedSha256, e.metadata.actual ?? '');
    throw e;
  }
  try {
    const committed = await deps.pointers.commit(
      h.collection,
      h.id,
      { data: dataKey, size: stored.size, sha256: stored.sha256 ?? '', contentType: h.contentType, metadata: h.metadata },
      h.precondition,
      ctx.signal,
    );
    // The replaced version's data stays for the grace period: the commit left a trash marker for it.
    return committed.object;
  } catch (e) {
    if (await unreferenced(deps.pointers, h, dataKey)) await removeData(deps, dataKey);
    throw e;
  }
}

/**
 * Whether a failed commit certainly left `dataKey` unreferenced. A lost race
 * did; a failure of the PUT itself (timeout, cancel) may have landed, so the
 * pointer is read again, and data it names, or that cannot be checked, stays.
 */
async function unreferenced(pointers: ObjectPointers, h: UploadHeader, dataKey: string): Promise<boolean> {
  try {
    const now = await pointers.read(h.collection, h.id, AbortSignal.timeout(30_000));
    return now?.pointer.data !== dataKey;
  } catch {
    return false;
  }
}

/** Deletes a data key, reporting (never throwing) a failure: an orphan is garbage, not an error of the call. */
export async function removeData(deps: Pick<UploadDeps, 'objects' | 'onCleanupError'>, dataKey: string): Promise<void> {
  try {
    await deps.objects.delete(dataKey, undefined, AbortSignal.timeout(60_000));
  } catch (e) {
    deps.onCleanupError?.(e, dataKey);
  }
}
