/**
 * What the single-document writer builds besides the write itself: the
 * envelope of a new version, the API form of a stored document, and the
 * errors of its conditional writes.
 */
import { DbError } from '../errors/db-error.js';
import type { JsonObject } from '../model/json.js';
import type { StoredDocument } from '../model/document.js';
import { newWriteId, type EnvelopeMeta } from '../format/envelope.js';

/** The version a write replaces: what nextMeta needs of it. */
export type OldVersion = Pick<EnvelopeMeta, 'version' | 'createTime' | 'seq' | 'expireTime'> | undefined;

/** The envelope of a version written at `now` over `old` (undefined: none, or expired). */
export function nextMeta(old: OldVersion, now: Date, seq?: number, expireTime?: Date): EnvelopeMeta {
  return {
    version: old === undefined ? 1 : old.version + 1,
    createTime: old === undefined ? now : old.createTime,
    updateTime: now,
    writeId: newWriteId(),
    ...(seq === undefined ? {} : { seq }),
    ...(expireTime === undefined ? {} : { expireTime }),
  };
}

/** The API form of a stored document. */
export function toDocument(collection: string, id: string, data: JsonObject, etag: string, meta: EnvelopeMeta): StoredDocument {
  return {
    collection,
    id,
    data,
    etag,
    version: meta.version,
    createTime: meta.createTime,
    updateTime: meta.updateTime,
    revision: meta.seq ?? 0,
    ...(meta.expireTime === undefined ? {} : { expireTime: meta.expireTime }),
  };
}

/** ABORTED CONCURRENT_MODIFICATION: the write kept losing races. */
export function contention(collection: string, id: string, cause: unknown): DbError {
  return new DbError('aborted', 'CONCURRENT_MODIFICATION', `too much contention writing ${collection}/${id}`, {
    metadata: { collection, id },
    retryDelayMs: 50,
    cause,
  });
}

/** NOT_FOUND DOCUMENT_NOT_FOUND. */
export function notFound(collection: string, id: string): DbError {
  return new DbError('not_found', 'DOCUMENT_NOT_FOUND', `document ${collection}/${id} not found`, {
    metadata: { collection, id },
  });
}

/** ABORTED ETAG_MISMATCH: the document is not at the expected etag. */
export function etagMismatch(collection: string, id: string, expected: string, current: string, cause?: unknown): DbError {
  return new DbError('aborted', 'ETAG_MISMATCH', `document ${collection}/${id} has changed`, {
    metadata: { collection, id, expectedEtag: expected, currentEtag: current },
    cause,
  });
}
