/** Validation of index definitions (AdminService and the collections file). */
import { invalid } from '../errors/db-error.js';
import { validateCollection } from '../model/keys.js';
import type { IndexDefinition, IndexKind } from '../model/index-def.js';

/** Index names: 1-64 of [a-z0-9_], starting with a letter. */
export const INDEX_NAME_RE = /^[a-z][a-z0-9_]{0,63}$/;
/** The kinds, as written in requests and the collections file. */
export const INDEX_KINDS: readonly IndexKind[] = ['equality', 'unique', 'ordered'];
/** Most fields of an equality/unique index. */
export const MAX_INDEX_FIELDS = 4;
/** Longest field path, in characters. */
export const MAX_FIELD_PATH_CHARS = 256;

// Control characters and lone surrogates.
// eslint-disable-next-line no-control-regex -- control characters are what it refuses
const FORBIDDEN_PATH_CHARS = /[\u0000-\u001F\u007F]|\p{Cs}/u;

/** Throws DbError invalid INVALID_ARGUMENT (field `<prefix>name`) unless `name` is a valid index name. */
export function validateIndexName(name: unknown, fieldPrefix = ''): asserts name is string {
  if (typeof name !== 'string' || !INDEX_NAME_RE.test(name)) {
    throw invalid('INVALID_ARGUMENT', `${fieldPrefix}name`, 'index name must be 1-64 characters of [a-z0-9_] starting with a letter');
  }
}

/**
 * Throws a DbError invalid naming the field at fault (with `fieldPrefix`,
 * e.g. 'index.') unless `def` is a valid definition: a valid collection and
 * name, a known kind, 1-4 distinct dotted field paths (exactly 1 for ordered),
 * hashValues only on equality/unique.
 */
export function validateIndexDefinition(def: IndexDefinition, fieldPrefix = 'index.'): void {
  try {
    validateCollection(def.collection);
  } catch (e) {
    throw invalid('INVALID_COLLECTION', `${fieldPrefix}collection`, (e as Error).message);
  }
  validateIndexName(def.name, fieldPrefix);
  if (!INDEX_KINDS.includes(def.kind)) {
    throw invalid('INVALID_ARGUMENT', `${fieldPrefix}kind`, `index kind must be one of ${INDEX_KINDS.join(', ')}`);
  }
  if (def.hashValues === true && def.kind === 'ordered') {
    throw invalid('INVALID_ARGUMENT', `${fieldPrefix}hashValues`, 'an ordered index cannot hash its values (hashes have no order)');
  }
  const fields = def.fields as unknown;
  const field = `${fieldPrefix}fields`;
  if (!Array.isArray(fields) || fields.length === 0) throw invalid('INVALID_ARGUMENT', field, 'an index needs at least one field');
  if (def.kind === 'ordered' && fields.length !== 1) {
    throw invalid('INVALID_ARGUMENT', field, 'an ordered index has exactly one field');
  }
  if (fields.length > MAX_INDEX_FIELDS) {
    throw invalid('INVALID_ARGUMENT', field, `an index has at most ${MAX_INDEX_FIELDS} fields`);
  }
  const seen = new Set<string>();
  for (const [i, path] of (fields as unknown[]).entries()) {
    const problem = fieldPathProblem(path);
    if (problem !== undefined) throw invalid('INVALID_ARGUMENT', `${field}[${i}]`, problem);
    if (seen.has(path as string)) throw invalid('INVALID_ARGUMENT', `${field}[${i}]`, `field ${JSON.stringify(path)} is listed twice`);
    seen.add(path as string);
  }
}

/** Why `path` is not a usable dotted field path, or undefined when it is. */
export function fieldPathProblem(path: unknown): string | undefined {
  if (typeof path !== 'string' || path.length === 0) return 'a field path must be a non-empty string';
  if (path.length > MAX_FIELD_PATH_CHARS) return `a field path has at most ${MAX_FIELD_PATH_CHARS} characters`;
  if (FORBIDDEN_PATH_CHARS.test(path)) return 'a field path must not contain control characters';
  if (path.split('.').some((part) => part.length === 0)) return `field path ${JSON.stringify(path)} has an empty segment`;
  return undefined;
}
