import { invalid } from '../errors/db-error.js';

/**
 * Names and blob keys of documents (docs/storage-format.md).
 *
 * A document lives at `docs/<collection>/<id>`: no suffix, so the blob
 * store's key order (UTF-8 byte order) is the id order within a collection.
 */

/** The most UTF-8 bytes an id may have. */
export const MAX_ID_BYTES = 200;
/** The most characters a collection name may have. */
export const MAX_COLLECTION_CHARS = 128;
/** The prefix of every document key. */
export const DOCUMENTS_ROOT = 'docs/';

const COLLECTION_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
// Control characters, path separators, and lone surrogates (not encodable in UTF-8).
const FORBIDDEN_ID_CHARS = /[\u0000-\u001F\u007F/\\]|\p{Cs}/u;

/** Throws DbError invalid INVALID_COLLECTION (field 'collection') unless `collection` is a valid name. */
export function validateCollection(collection: string): void {
  if (typeof collection !== 'string' || collection.length === 0) {
    throw invalid('INVALID_COLLECTION', 'collection', 'collection must not be empty');
  }
  if (collection.length > MAX_COLLECTION_CHARS) {
    throw invalid('INVALID_COLLECTION', 'collection', `collection must be at most ${MAX_COLLECTION_CHARS} characters`);
  }
  if (!COLLECTION_RE.test(collection)) {
    throw invalid(
      'INVALID_COLLECTION',
      'collection',
      'collection must consist of [A-Za-z0-9_.-] and start with a letter or digit',
    );
  }
}

/** The reason `s` is not usable as an id or id prefix, or undefined when it is. */
function idProblem(s: string, what: string): string | undefined {
  if (Buffer.byteLength(s, 'utf8') > MAX_ID_BYTES) return `${what} must be at most ${MAX_ID_BYTES} UTF-8 bytes`;
  if (FORBIDDEN_ID_CHARS.test(s)) {
    return `${what} must not contain '/', '\\', control characters or unpaired surrogates`;
  }
  return undefined;
}

/** Throws DbError invalid INVALID_ID (field 'id') unless `id` is a valid document id. */
export function validateId(id: string, field = 'id'): void {
  if (typeof id !== 'string' || id.length === 0) throw invalid('INVALID_ID', field, 'id must not be empty');
  if (id === '.' || id === '..') throw invalid('INVALID_ID', field, `id must not be '.' or '..'`);
  const problem = idProblem(id, 'id');
  if (problem !== undefined) throw invalid('INVALID_ID', field, problem);
}

/** Throws DbError invalid INVALID_ID (field 'id_prefix') unless `prefix` is empty or a valid id start. */
export function validateIdPrefix(prefix: string, field = 'id_prefix'): void {
  if (typeof prefix !== 'string') throw invalid('INVALID_ID', field, 'id prefix must be a string');
  const problem = idProblem(prefix, 'id prefix');
  if (problem !== undefined) throw invalid('INVALID_ID', field, problem);
}

/** The key prefix of all documents of a (validated) collection: `docs/<collection>/`. */
export function collectionPrefix(collection: string): string {
  return `${DOCUMENTS_ROOT}${collection}/`;
}

/** The blob key of a (validated) document: `docs/<collection>/<id>`. */
export function documentKey(collection: string, id: string): string {
  return collectionPrefix(collection) + id;
}

/** The id of a key under `collectionPrefix(collection)`, or undefined when the key is not one. */
export function idFromKey(collection: string, key: string): string | undefined {
  const prefix = collectionPrefix(collection);
  if (!key.startsWith(prefix)) return undefined;
  const id = key.slice(prefix.length);
  return id.length === 0 || id.includes('/') ? undefined : id;
}
