/**
 * The background build of a new index: lists the collection's documents in
 * object storage page by page, applies each with its stored seq under the
 * catalog that contains the index (the same seq under a newer catalog
 * replaces, so the build is never ignored; a newer write is never undone),
 * reports progress, and marks the index READY — or FAILED with the reason,
 * e.g. when two documents hold the same value of a unique index. A build
 * whose index was recreated meanwhile (another createTime: Redis lost it and
 * a reconcile restored it) stops as 'dropped' before its next progress
 * report, so it never marks the new index READY with entries it did not make.
 */
import { DbError } from '../errors/db-error.js';
import type { BlobStore } from '../storage/blob-store.js';
import { indexValues } from './extract-values.js';
import type { IndexCatalog, IndexStore, IndexValues } from './index-store.js';
import type { IndexLog } from './write-hooks.js';
import { collectionPrefix, idFromKey } from '../format/bucket-layout.js';
import { readStoredDoc, type StoredDoc } from './read-stored-doc.js';
import type { CounterCell } from '../observability/cell-counter.js';

/** Tuning of a build. */
export interface IndexBuildOptions {
  /** Keys listed per page (1..1000). Default 500. */
  readonly pageSize?: number;
  /** Documents fetched and applied at once. Default 16. */
  readonly concurrency?: number;
  /** How long the build's unique reservations live, in ms. Default 60_000. */
  readonly reservationTtlMs?: number;
}

/** What a build needs. */
export interface IndexBuildInput extends IndexBuildOptions {
  readonly indexes: IndexStore;
  readonly store: BlobStore;
  readonly collection: string;
  readonly name: string;
  readonly log?: IndexLog;
  /** Stops the build (e.g. the index was dropped, the server shuts down). */
  readonly signal?: AbortSignal;
  /** Counts the documents scanned (metrics `smarterbase.index.rebuild_documents`). */
  readonly scannedCounter?: CounterCell;
}

/** How a build ended. */
export type IndexBuildResult = 'ready' | 'failed' | 'dropped' | 'aborted';

/** Raised inside the build when a unique index holds a duplicate. */
class DuplicateValue extends Error {}

/** Runs the build to its end; never throws (failures end in state 'failed'). */
export async function buildIndex(input: IndexBuildInput): Promise<IndexBuildResult> {
  const { indexes, store, collection, name, signal } = input;
  const pageSize = input.pageSize ?? 500;
  const concurrency = input.concurrency ?? 16;
  let scanned = 0;
  // The index this build fills: one recreated meanwhile (Redis lost it and a reconcile restored it) is another.
  let created: number | undefined;
  const same = async (): Promise<boolean> =>
    (await indexes.catalog(collection)).indexes.find((i) => i.name === name)?.createTime.getTime() === created;
  try {
    let catalog = await indexes.catalog(collection);
    const target = catalog.indexes.find((i) => i.name === name);
    if (target === undefined) return 'dropped';
    created = target.createTime.getTime();
    let startAfter: string | undefined;
    for (;;) {
      if (signal?.aborted) return 'aborted';
      const page = await store.list(
        { prefix: collectionPrefix(collection), limit: pageSize, ...(startAfter ? { startAfter } : {}) },
        signal,
      );
      const ids = page.keys.flatMap((k) => idFromKey(collection, k) ?? []);
      for (let i = 0; i < ids.length; i += concurrency) {
        const results = await Promise.all(ids.slice(i, i + concurrency).map((id) => indexOne(input, id, catalog)));
        if (results.includes('dropped')) return 'dropped';
        const newer = results.find((r): r is IndexCatalog => typeof r === 'object');
        if (newer !== undefined) catalog = newer;
      }
      scanned += page.keys.length;
      input.scannedCounter?.add(page.keys.length);
      if (!(await same())) return 'dropped';
      await indexes.setIndexState(collection, name, { documentsScanned: scanned });
      if (!page.isTruncated || page.keys.length === 0) break;
      startAfter = page.keys[page.keys.length - 1];
    }
    if (!(await same())) return 'dropped';
    await indexes.setIndexState(collection, name, { state: 'ready', documentsScanned: scanned });
    input.log?.info({ collection, index: name, documentsScanned: scanned }, 'index built');
    return 'ready';
  } catch (err) {
    if (signal?.aborted) return 'aborted';
    if (err instanceof DbError && err.reason === 'INDEX_NOT_FOUND') return 'dropped';
    // A backend outage is no verdict on the index: it stays BUILDING and the next reconcile resumes it.
    if (err instanceof DbError && err.kind === 'unavailable') {
      input.log?.warn({ err, collection, index: name }, 'index build interrupted by a backend failure; resumed by the next reconcile');
      return 'aborted';
    }
    const message = err instanceof DuplicateValue ? err.message : `build failed: ${err instanceof Error ? err.message : String(err)}`;
    input.log?.warn({ err, collection, index: name }, 'index build failed');
    try {
      if (!(await same())) return 'dropped';
      await indexes.setIndexState(collection, name, { state: 'failed', documentsScanned: scanned, error: message });
    } catch {
      return 'dropped'; // the index went away meanwhile (or the store is down: the state stays 'building')
    }
    return 'failed';
  }
}

/**
 * Applies one document under `catalog` (refreshed when it changed; the new
 * catalog is returned then). 'dropped' when the index is gone.
 */
async function indexOne(input: IndexBuildInput, id: string, first: IndexCatalog): Promise<'ok' | 'dropped' | IndexCatalog> {
  const { indexes, collection, name } = input;
  let catalog = first;
  let refreshed = false;
  const doc = await readDoc(input, id);
  if (doc === undefined) return 'ok'; // deleted meanwhile: its delete maintains the indexes
  for (let attempt = 0; attempt < 10; attempt++) {
    const info = catalog.indexes.find((i) => i.name === name);
    if (info === undefined) return 'dropped';
    const values = indexValues(catalog, doc.data);
    const own = info.kind === 'unique' ? { [name]: values[name] ?? [] } : undefined;
    if (own !== undefined) await reserveOrFail(input, doc, own);
    const outcome = await indexes.apply(collection, id, doc.seq, values, catalog.version);
    if (outcome !== 'catalog_changed') {
      if (outcome === 'stale' && own !== undefined) await indexes.releaseUnique(collection, id, own);
      return refreshed ? catalog : 'ok';
    }
    catalog = await indexes.catalog(collection);
    refreshed = true;
  }
  throw new Error(`the catalog of ${collection} kept changing`);
}

/** Reserves the document's values of the unique index being built; a duplicate fails the build unless the document changed meanwhile. */
async function reserveOrFail(input: IndexBuildInput, doc: StoredDoc, own: IndexValues): Promise<void> {
  const { indexes, collection, name } = input;
  const conflict = await indexes.reserveUnique(collection, doc.id, own, input.reservationTtlMs ?? 60_000);
  if (conflict === undefined) return;
  const current = await readDoc(input, doc.id);
  if (current === undefined || current.seq !== doc.seq) return; // rewritten meanwhile: that write's hooks decide
  throw new DuplicateValue(
    `unique index ${name}: documents ${JSON.stringify(conflict.conflictingId)} and ${JSON.stringify(doc.id)} hold the same value`,
  );
}

function readDoc(input: IndexBuildInput, id: string): Promise<StoredDoc | undefined> {
  return readStoredDoc(input.store, input.collection, id, input.signal);
}
