/**
 * Rules every IndexStore adapter shares: the seq/catalogVersion rule of
 * apply(), definition equality, and the errors about indexes.
 */
import { DbError } from '../errors/db-error.js';
import type { IndexDefinition, IndexInfo, IndexKind } from '../model/index-def.js';
import type { JsonValue } from '../model/json.js';
import type { ApplyOutcome, IndexCatalog, OrderedRange } from './index-store.js';

/** What an adapter records per document: the last applied write and its values. */
export interface DocRecord {
  readonly seq: number;
  readonly catalogVersion: number;
}

/**
 * Whether a write (seq, catalogVersion) applies over the recorded one:
 * 'catalog_changed' unless catalogVersion is the current one; 'stale' unless
 * seq is newer, or the same seq under a newer catalog; otherwise 'applied'.
 */
export function applyDecision(recorded: DocRecord | undefined, seq: number, catalogVersion: number, currentVersion: number): ApplyOutcome {
  if (catalogVersion !== currentVersion) return 'catalog_changed';
  if (recorded === undefined) return 'applied';
  if (seq > recorded.seq) return 'applied';
  if (seq === recorded.seq && catalogVersion > recorded.catalogVersion) return 'applied';
  return 'stale';
}

/** True when both define the same index (collection, name, fields in order, kind, hashValues: absent = false). */
export function sameDefinition(a: IndexDefinition, b: IndexDefinition): boolean {
  return (
    a.collection === b.collection &&
    a.name === b.name &&
    a.kind === b.kind &&
    (a.hashValues === true) === (b.hashValues === true) &&
    a.fields.length === b.fields.length &&
    a.fields.every((f, i) => f === b.fields[i])
  );
}

/** DbError not_found INDEX_NOT_FOUND. */
export function indexNotFound(collection: string, name: string): DbError {
  return new DbError('not_found', 'INDEX_NOT_FOUND', `index ${collection}/${name} does not exist`, {
    metadata: { collection, index: name },
  });
}

/** DbError already_exists INDEX_ALREADY_EXISTS (same name, another definition). */
export function indexAlreadyExists(existing: IndexDefinition): DbError {
  return new DbError(
    'already_exists',
    'INDEX_ALREADY_EXISTS',
    `index ${existing.collection}/${existing.name} already exists with another definition ` +
      `(${existing.kind} on ${existing.fields.join(', ')})`,
    { metadata: { collection: existing.collection, index: existing.name } },
  );
}

/** The index of the catalog, checked to be of one of `kinds`; throws INDEX_NOT_FOUND otherwise. */
export function requireIndex(catalog: IndexCatalog, collection: string, name: string, kinds: readonly IndexKind[]): IndexInfo {
  const info = catalog.indexes.find((i) => i.name === name);
  if (info === undefined) throw indexNotFound(collection, name);
  if (!kinds.includes(info.kind)) {
    throw new DbError('internal', 'INTERNAL_ERROR', `index ${collection}/${name} is ${info.kind}, not ${kinds.join('/')}`, {
      metadata: { collection, index: name },
    });
  }
  return info;
}

/** A fresh IndexInfo in state 'building'. */
export function newIndexInfo(def: IndexDefinition, now: Date): IndexInfo {
  return {
    collection: def.collection,
    name: def.name,
    fields: [...def.fields],
    kind: def.kind,
    ...(def.hashValues === true ? { hashValues: true } : {}),
    state: 'building',
    documentsScanned: 0,
    createTime: now,
  };
}

/** The range of `eq` on an ordered index (one number or string value), or undefined when nothing can match. */
export function eqAsRange(values: readonly JsonValue[]): OrderedRange | undefined {
  const v = values[0];
  if (values.length !== 1 || (typeof v !== 'number' && typeof v !== 'string')) return undefined;
  const bound = { value: v, inclusive: true };
  return { type: typeof v === 'number' ? 'number' : 'string', lower: bound, upper: bound };
}
