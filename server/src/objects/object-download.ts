/**
 * Download (docs/adr/0013 §5, §6): a verified read of the pointer, the
 * if_match and range checks, a first item with the metadata and the range
 * start, then the data key's bytes in items of at most the download chunk
 * size. The data is pulled only as the consumer pulls items (the RPC pump
 * waits for the transport), so a slow reader never makes the server read
 * ahead. A whole-object read is hashed as it goes and ends with DATA_LOSS /
 * OBJECT_CORRUPT when the bytes do not match the pointer's SHA-256. The data
 * of a replaced or deleted version stays for the grace period (trash
 * markers), so a download in progress finishes; when the data disappears
 * mid-stream anyway (the grace is over), the pointer is read again and the
 * stream ends ETAG_MISMATCH or OBJECT_NOT_FOUND.
 */
import { createHash } from 'node:crypto';
import { DbError, invalid, isDbError } from '../errors/db-error.js';
import { validateCollection, validateId } from '../model/keys.js';
import type { ObjectStore } from '../storage/objects/object-store.js';
import type { CallContext } from '../api/call-context.js';
import type { DownloadInput, DownloadItem } from '../api/object-api.js';
import { objectEtagMismatch, objectNotFound, type ObjectPointers, type PointerRead } from './object-pointers.js';
import { objectMetaOf } from './pointer-format.js';

/** What a download needs. */
export interface DownloadDeps {
  readonly pointers: ObjectPointers;
  readonly objects: ObjectStore;
  /** SB_OBJECT_DOWNLOAD_CHUNK_BYTES: the most bytes per data item. */
  readonly chunkBytes: number;
}

function checkNumber(value: number | undefined, field: string): number {
  const n = value ?? 0;
  if (!Number.isSafeInteger(n) || n < 0) throw invalid('INVALID_ARGUMENT', field, `${field} must be a non-negative integer`);
  return n;
}

/** OUT_OF_RANGE RANGE_NOT_SATISFIABLE (metadata offset, sizeBytes). */
function rangeNotSatisfiable(offset: number, size: number): DbError {
  return new DbError('out_of_range', 'RANGE_NOT_SATISFIABLE', `offset ${offset} is past the end of the object (${size} bytes)`, {
    metadata: { offset: String(offset), sizeBytes: String(size) },
  });
}

/** DATA_LOSS OBJECT_CORRUPT. */
function corrupt(collection: string, id: string, why: string): DbError {
  return new DbError('data_loss', 'OBJECT_CORRUPT', `object ${collection}/${id} is corrupt: ${why}`, { metadata: { collection, id } });
}

/** The error of data found missing or failing mid-read: the object moved, vanished, or (same pointer) is corrupt/unreachable. */
async function whyGone(deps: DownloadDeps, input: DownloadInput, read: PointerRead, cause: unknown, signal: AbortSignal): Promise<unknown> {
  const now = await deps.pointers.read(input.collection, input.id, signal);
  if (now === undefined) return objectNotFound(input.collection, input.id);
  if (now.etag !== read.etag) return objectEtagMismatch(input.collection, input.id, read.etag, now.etag);
  return cause ?? corrupt(input.collection, input.id, 'its data is missing');
}

/** Runs one Download call (see the file comment). */
export async function* runDownload(
  deps: DownloadDeps,
  ctx: CallContext,
  input: DownloadInput,
): AsyncGenerator<DownloadItem, void, undefined> {
  validateCollection(input.collection);
  validateId(input.id);
  const offset = checkNumber(input.offset, 'offset');
  const wanted = checkNumber(input.length, 'length');
  const read = await deps.pointers.read(input.collection, input.id, ctx.signal);
  if (read === undefined) throw objectNotFound(input.collection, input.id);
  if (input.ifMatch !== undefined && input.ifMatch !== '' && input.ifMatch !== read.etag)
    throw objectEtagMismatch(input.collection, input.id, input.ifMatch, read.etag);
  const p = read.pointer;
  if (offset > p.size) throw rangeNotSatisfiable(offset, p.size);
  const length = wanted === 0 ? p.size - offset : Math.min(wanted, p.size - offset);
  yield { kind: 'start', object: objectMetaOf(input.collection, input.id, read.etag, p), offset };
  if (length === 0) return;
  const whole = offset === 0 && length === p.size;
  const reader = await deps.objects.get(p.data, { range: { offset, length }, signal: ctx.signal });
  if (reader === undefined) throw await whyGone(deps, input, read, undefined, ctx.signal);
  const hash = whole ? createHash('sha256') : undefined;
  let at = offset;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = (): DownloadItem => {
    const data = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    const item: DownloadItem = { kind: 'data', offset: at, data };
    at += pendingBytes;
    pending = [];
    pendingBytes = 0;
    return item;
  };
  try {
    for await (const chunk of reader.body) {
      let rest = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      hash?.update(rest);
      while (rest.byteLength > 0) {
        const take = Math.min(rest.byteLength, deps.chunkBytes - pendingBytes);
        // Node stream chunks are never reused by their source, so views are safe; a flush of several copies them into one.
        pending.push(rest.subarray(0, take));
        pendingBytes += take;
        rest = rest.subarray(take);
        if (pendingBytes === deps.chunkBytes) yield flush();
      }
    }
  } catch (e) {
    if (ctx.signal.aborted || isDbError(e, 'OBJECT_CORRUPT')) throw e;
    throw await whyGone(deps, input, read, e, ctx.signal);
  }
  if (pendingBytes > 0) yield flush();
  if (at !== offset + length)
    throw await whyGone(deps, input, read, corrupt(input.collection, input.id, 'its data is shorter than recorded'), ctx.signal);
  if (hash !== undefined && hash.digest('hex') !== p.sha256)
    throw corrupt(input.collection, input.id, 'its bytes do not match its SHA-256');
}
