/** Validation of Commit requests, and their fingerprint for request_id reuse checks. */
import { createHash } from 'node:crypto';
import { DbError, invalid, isDbError } from '../errors/db-error.js';
import { checkDocumentData } from '../model/json-check.js';
import { validateCollection, validateExistingId, validateId } from '../model/keys.js';
import type { CommitRequest, CommitWrite } from './commit-types.js';
import { documentKey } from '../format/bucket-layout.js';

/** The most writes of one Commit. */
export const MAX_TXN_WRITES = 100;
/** The most bytes of JSON (the data of all set writes together) of one Commit. */
export const MAX_TXN_BYTES = 4 * 1024 * 1024;

const REQUEST_ID_RE = /^[\x21-\x7E]{1,128}$/;

/**
 * Checks a Commit request; throws DbError invalid (INVALID_ARGUMENT,
 * INVALID_COLLECTION, INVALID_ID, TRANSACTION_TOO_LARGE) naming the field
 * at fault. Returns the document key of each write.
 */
export function validateCommit(input: CommitRequest): string[] {
  const { writes } = input;
  if (!Array.isArray(writes) || writes.length === 0) throw invalid('INVALID_ARGUMENT', 'writes', 'a commit needs at least one write');
  if (writes.length > MAX_TXN_WRITES) {
    throw tooLarge(`a commit has at most ${MAX_TXN_WRITES} writes, got ${writes.length}`, MAX_TXN_WRITES, writes.length, 'writes');
  }
  if (input.requestId !== undefined && input.requestId !== '' && !REQUEST_ID_RE.test(input.requestId)) {
    throw invalid('INVALID_ARGUMENT', 'request_id', 'request_id must be 1 to 128 printable ASCII characters');
  }
  const seen = new Map<string, number>();
  let bytes = 0;
  const keys = writes.map((w, i) => {
    checkWrite(w, i);
    const key = documentKey(w.collection, w.id);
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      throw invalid(
        'INVALID_ARGUMENT',
        `writes[${i}]`,
        `writes[${earlier}] and writes[${i}] both write ${w.collection}/${w.id}: at most one write per document`,
      );
    }
    seen.set(key, i);
    if (w.op === 'set') bytes += Buffer.byteLength(JSON.stringify(w.data), 'utf8');
    return key;
  });
  if (bytes > MAX_TXN_BYTES) {
    throw tooLarge(
      `the documents of a commit may total at most ${MAX_TXN_BYTES} bytes of JSON, got ${bytes}`,
      MAX_TXN_BYTES,
      bytes,
      'bytes',
    );
  }
  return keys;
}

/** sha256 over the canonical form of the writes: equal for a faithful retry, different for other writes. */
export function fingerprintOf(writes: readonly CommitWrite[]): string {
  const canonical = writes.map((w) => [w.collection, w.id, w.op, w.data ?? null, w.precondition ?? null]);
  return createHash('sha256').update(JSON.stringify(canonical), 'utf8').digest('hex');
}

function checkWrite(w: CommitWrite, i: number): void {
  const at = `writes[${i}]`;
  try {
    validateCollection(w.collection);
  } catch (e) {
    if (isDbError(e))
      throw new DbError('invalid', e.reason, `${at}: ${e.message}`, { field: `${at}.collection`, metadata: { field: `${at}.collection` } });
    throw e;
  }
  if (w.op === 'delete')
    validateExistingId(w.id, `${at}.id`); // documents stored under ids refused today stay deletable
  else validateId(w.id, `${at}.id`);
  if (w.op !== 'set' && w.op !== 'delete' && w.op !== 'check') {
    throw invalid('INVALID_ARGUMENT', `${at}.operation`, `${at}: one of set, delete or check is required`);
  }
  if (w.op === 'set') {
    checkDocumentData(w.data, `${at}.set.data`, `${at}: `);
  }
  const p = w.precondition;
  if (p === undefined) return;
  if ('etag' in p) {
    if (typeof p.etag !== 'string' || p.etag === '')
      throw invalid('INVALID_ARGUMENT', `${at}.precondition.etag`, `${at}: the etag precondition must not be empty`);
  } else if (typeof p.exists !== 'boolean') {
    throw invalid('INVALID_ARGUMENT', `${at}.precondition`, `${at}: a precondition needs exists or etag`);
  }
}

function tooLarge(message: string, limit: number, actual: number, unit: string): DbError {
  return new DbError('invalid', 'TRANSACTION_TOO_LARGE', message, {
    field: 'writes',
    metadata: { field: 'writes', limit: String(limit), actual: String(actual), unit },
  });
}
