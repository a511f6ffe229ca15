/**
 * Validation of an upload's header (docs/adr/0013 §1, §3): names by the
 * document rules, content type ≤ 256 characters, user metadata ≤ 64 entries
 * and 2 KiB, expected size within the server's maximum, expected SHA-256 as
 * 64 lowercase hex digits. Everything is refused before any byte is stored.
 */
import { DbError, invalid } from '../errors/db-error.js';
import { validateCollection, validateId } from '../model/keys.js';
import { DEFAULT_CONTENT_TYPE } from '../storage/objects/object-store.js';
import type { ObjectPrecondition, UploadHeaderInput } from '../api/object-api.js';

/** The longest content type, in characters. */
export const MAX_CONTENT_TYPE_CHARS = 256;
/** The most user metadata entries. */
export const MAX_METADATA_ENTRIES = 64;
/** The most user metadata bytes (keys and values, UTF-8). */
export const MAX_METADATA_BYTES = 2048;

/** A validated header, defaults applied. */
export interface UploadHeader {
  readonly collection: string;
  readonly id: string;
  readonly precondition?: ObjectPrecondition;
  readonly contentType: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** undefined: unknown. */
  readonly expectedSize?: number;
  readonly expectedSha256?: string;
}

const SHA256_RE = /^[0-9a-f]{64}$/;

/** INVALID_ARGUMENT OBJECT_TOO_LARGE (metadata sizeBytes, limitBytes). */
export function objectTooLarge(sizeBytes: number, limitBytes: number): DbError {
  return new DbError('invalid', 'OBJECT_TOO_LARGE', `the object is ${sizeBytes} bytes or more; this server takes at most ${limitBytes}`, {
    metadata: { sizeBytes: String(sizeBytes), limitBytes: String(limitBytes) },
  });
}

/** The header with defaults, or DbError invalid for the first problem found. */
export function validateUploadHeader(h: UploadHeaderInput, maxBytes: number): UploadHeader {
  validateCollection(h.collection);
  validateId(h.id);
  const contentType = h.contentType === undefined || h.contentType === '' ? DEFAULT_CONTENT_TYPE : h.contentType;
  if (contentType.length > MAX_CONTENT_TYPE_CHARS)
    throw invalid('INVALID_ARGUMENT', 'header.content_type', `content_type must be at most ${MAX_CONTENT_TYPE_CHARS} characters`);
  const metadata = h.metadata ?? {};
  const entries = Object.entries(metadata);
  if (entries.length > MAX_METADATA_ENTRIES)
    throw invalid('INVALID_ARGUMENT', 'header.metadata', `metadata must have at most ${MAX_METADATA_ENTRIES} entries`);
  const bytes = entries.reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (bytes > MAX_METADATA_BYTES)
    throw invalid('INVALID_ARGUMENT', 'header.metadata', `metadata must be at most ${MAX_METADATA_BYTES} bytes in all (keys and values)`);
  const expectedSize = h.expectedSize === undefined || h.expectedSize === 0 ? undefined : h.expectedSize;
  if (expectedSize !== undefined && (!Number.isSafeInteger(expectedSize) || expectedSize < 0))
    throw invalid('INVALID_ARGUMENT', 'header.expected_size', 'expected_size must be a non-negative integer');
  if (expectedSize !== undefined && expectedSize > maxBytes) throw objectTooLarge(expectedSize, maxBytes);
  const expectedSha256 = h.expectedSha256 === undefined || h.expectedSha256 === '' ? undefined : h.expectedSha256;
  if (expectedSha256 !== undefined && !SHA256_RE.test(expectedSha256))
    throw invalid('INVALID_ARGUMENT', 'header.expected_sha256', 'expected_sha256 must be 64 lowercase hex digits');
  const p = h.precondition;
  if (p !== undefined && 'etag' in p && p.etag === '')
    throw invalid('INVALID_ARGUMENT', 'header.precondition.etag', 'precondition.etag must not be empty');
  return {
    collection: h.collection,
    id: h.id,
    ...(p === undefined ? {} : { precondition: p }),
    contentType,
    metadata: { ...metadata },
    ...(expectedSize === undefined ? {} : { expectedSize }),
    ...(expectedSha256 === undefined ? {} : { expectedSha256 }),
  };
}
