/**
 * What the index store may lack, and the rules that keep queries and unique
 * constraints right while it does (docs/operations.md "Redis lost").
 *
 * The durable catalog (`_meta/indexes/`, durable-catalog.ts) is the truth
 * about which indexes exist; the IndexStore (Redis) holds their live state.
 * After Redis restarts empty, the store has no definitions until the
 * reconcile (IndexAdmin.reconcile) restores them in state BUILDING and
 * rebuilds them. Until an index is READY:
 *  - queries do not take candidates from it (the planner uses READY indexes
 *    only); a `require_index` query that only such an index would serve is
 *    UNAVAILABLE / INDEX_NOT_READY, not INDEX_REQUIRED;
 *  - a write that sets a field of a UNIQUE index that is not READY (or not in
 *    the store at all) is refused UNAVAILABLE / INDEX_NOT_READY: its
 *    uniqueness cannot be checked, and accepting it unchecked could create
 *    a duplicate that fails the rebuild.
 */
import { DbError } from '../errors/db-error.js';
import { visibleIndexes, type IndexDefinition, type IndexInfo } from '../model/index-def.js';
import type { JsonObject } from '../model/json.js';
import { valuesForIndex } from './extract-values.js';
import type { IndexCatalog } from './index-store.js';

/** Default RetryInfo delay of INDEX_NOT_READY, in ms. */
export const NOT_READY_RETRY_MS = 1000;

/** The durable index definitions as this server knows them, and a way to ask for a reconcile. */
export interface ExpectedIndexes {
  /** Asks for a reconcile as soon as possible (the store lacks a durable definition). Never throws. */
  requestReconcile(): void;
  /**
   * The collection's durable definitions, complete for `catalog` (the store's
   * catalog a write or query runs under): read from storage again when the
   * copy cannot vouch for that catalog (KnownDefinitions.forCatalog). Throws
   * DbError('unavailable') when storage cannot be read.
   */
  definitionsFor(collection: string, catalog: IndexCatalog, signal?: AbortSignal): Promise<readonly IndexDefinition[]>;
}

/**
 * The collection's indexes as far as readiness goes: the catalog's, plus the
 * expected definitions the catalog lacks, as IndexInfo in state 'building'
 * (about to be restored). Sorted by name.
 */
export function indexesWithMissing(catalog: IndexCatalog, expected: readonly IndexDefinition[]): { all: IndexInfo[]; missing: number } {
  // A shadow (an online rebuild's copy) never blocks: the live index it copies serves and checks meanwhile.
  const all = visibleIndexes(catalog.indexes);
  let missing = 0;
  for (const def of expected) {
    if (catalog.indexes.some((i) => i.name === def.name)) continue;
    missing++;
    all.push({ ...def, fields: [...def.fields], state: 'building', documentsScanned: 0, createTime: new Date(0) });
  }
  all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { all, missing };
}

/**
 * The first UNIQUE index, of the catalog or expected but missing from it,
 * that is not READY and to which `data` gives a value (so a write of `data`
 * could not be checked against it); undefined when there is none. FAILED
 * indexes are left as they are (a failed build is reported, not retried).
 */
export function uniqueNotReady(catalog: IndexCatalog, expected: readonly IndexDefinition[], data: JsonObject): IndexInfo | undefined {
  const { all } = indexesWithMissing(catalog, expected);
  return all.find((i) => i.kind === 'unique' && i.state === 'building' && valuesForIndex(i, data).length > 0);
}

/** DbError unavailable INDEX_NOT_READY (metadata collection, index) with RetryInfo. */
export function indexNotReady(collection: string, index: string, why: string, retryDelayMs = NOT_READY_RETRY_MS): DbError {
  return new DbError('unavailable', 'INDEX_NOT_READY', `index ${collection}/${index} is not ready (${why}); retry shortly`, {
    metadata: { collection, index },
    retryDelayMs,
  });
}
