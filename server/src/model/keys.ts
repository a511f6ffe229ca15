import { invalid } from '../errors/db-error.js';

/**
 * Names and blob keys of documents (docs/storage-format.md).
 *
 * A document lives at `docs/<collection>/<id>` (format/bucket-layout.ts):
 * no suffix, so the blob store's key order (UTF-8 byte order) is the id
 * order within a collection.
 */

/** The most UTF-8 bytes an id may have. */
export const MAX_ID_BYTES = 200;
/** The most characters a collection name may have. */
export const MAX_COLLECTION_CHARS = 128;

const COLLECTION_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/**
 * Characters no id or id prefix may contain: path separators; control
 * characters (\p{Cc}: C0, DEL and C1 such as U+0085 NEL); line and paragraph
 * separators (U+2028, U+2029); bidirectional formatting controls
 * (\p{Bidi_Control}: U+061C, U+200E–U+200F, U+202A–U+202E, U+2066–U+2069),
 * which make an id display as another; U+FEFF (byte order mark); and lone
 * surrogates (not encodable in UTF-8). They break log lines, file paths and
 * terminals. Other format characters (e.g. U+200D in emoji sequences) are allowed.
 */
const FORBIDDEN_ID_CHARS = /[\p{Cc}\p{Zl}\p{Zp}\p{Bidi_Control}\uFEFF/\\]|\p{Cs}/u;
/** What ids were refused for before the rule above: documents stored then stay deletable. */
// eslint-disable-next-line no-control-regex -- control characters are what it refuses
const LEGACY_FORBIDDEN_ID_CHARS = /[\u0000-\u001F\u007F/\\]|\p{Cs}/u;

/** Throws DbError invalid INVALID_COLLECTION (field 'collection') unless `collection` is a valid name. */
export function validateCollection(collection: string): void {
  if (typeof collection !== 'string' || collection.length === 0) {
    throw invalid('INVALID_COLLECTION', 'collection', 'collection must not be empty');
  }
  if (collection.length > MAX_COLLECTION_CHARS) {
    throw invalid('INVALID_COLLECTION', 'collection', `collection must be at most ${MAX_COLLECTION_CHARS} characters`);
  }
  if (!COLLECTION_RE.test(collection)) {
    throw invalid('INVALID_COLLECTION', 'collection', 'collection must consist of [A-Za-z0-9_.-] and start with a letter or digit');
  }
}

/** The reason `s` is not usable as an id or id prefix, or undefined when it is. */
function idProblem(s: string, what: string, legacy = false): string | undefined {
  if (Buffer.byteLength(s, 'utf8') > MAX_ID_BYTES) return `${what} must be at most ${MAX_ID_BYTES} UTF-8 bytes`;
  const bad = (legacy ? LEGACY_FORBIDDEN_ID_CHARS : FORBIDDEN_ID_CHARS).exec(s);
  if (bad !== null) {
    const at = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    if (legacy)
      return `${what} must not contain '/', '\\', control characters or unpaired surrogates (found U+${at} at index ${bad.index})`;
    return `${what} must not contain '/', '\\', control characters (U+0000–U+001F, U+007F–U+009F), line or paragraph separators (U+2028, U+2029), bidirectional controls, U+FEFF or unpaired surrogates (found U+${at} at index ${bad.index})`;
  }
  if (!legacy && s.normalize('NFC') !== s) {
    return `${what} must be in Unicode normalization form C (NFC); normalize it before sending (e.g. String.prototype.normalize('NFC'))`;
  }
  return undefined;
}

/** Throws DbError invalid INVALID_ID (field 'id') unless `id` is a valid document id (docs/storage-format.md, "Keys"). */
export function validateId(id: string, field = 'id'): void {
  checkId(id, field, false);
}

/**
 * Like validateId, but with the rules of ids stored before control, separator
 * and bidi characters and non-NFC spellings were refused: used by deletes, so
 * that such documents can still be removed.
 */
export function validateExistingId(id: string, field = 'id'): void {
  checkId(id, field, true);
}

function checkId(id: string, field: string, legacy: boolean): void {
  if (typeof id !== 'string' || id.length === 0) throw invalid('INVALID_ID', field, 'id must not be empty');
  if (id === '.' || id === '..') throw invalid('INVALID_ID', field, `id must not be '.' or '..'`);
  const problem = idProblem(id, 'id', legacy);
  if (problem !== undefined) throw invalid('INVALID_ID', field, problem);
}

/** Throws DbError invalid INVALID_ID (field 'id_prefix') unless `prefix` is empty or a valid id start. */
export function validateIdPrefix(prefix: string, field = 'id_prefix'): void {
  if (typeof prefix !== 'string') throw invalid('INVALID_ID', field, 'id prefix must be a string');
  const problem = idProblem(prefix, 'id prefix');
  if (problem !== undefined) throw invalid('INVALID_ID', field, problem);
}
