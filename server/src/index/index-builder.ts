/**
 * The background build of a collection's new indexes, in ONE pass over its
 * documents: the targets are the indexes BUILDING when the pass starts (a
 * restore after Redis lost them, or several CreateIndex calls). The pass
 * lists the collection in object storage page by page, applies each document
 * with its stored seq under the catalog that contains the targets (the same
 * seq under a newer catalog replaces, so the build is never ignored; a newer
 * write is never undone), reports progress on every target, and marks each
 * READY — or FAILED with the reason: a duplicate value fails only the unique
 * index that holds it, the pass goes on for the others.
 *
 * A target recreated meanwhile (another createTime: Redis lost it and a
 * reconcile restored it) or dropped leaves the pass before its next progress
 * report, so a pass never marks a new index READY with entries it did not
 * make. An index created while a pass runs is not a target (the pages
 * before it were not reserved for it): it stays BUILDING and the caller
 * starts another pass (index-admin.ts). A backend outage is no verdict: the
 * targets stay BUILDING and the next reconcile resumes them.
 */
import { DbError } from '../errors/db-error.js';
import type { BlobStore, ListPage } from '../storage/blob-store.js';
import { indexValues } from './extract-values.js';
import type { IndexCatalog, IndexStore, IndexValues } from './index-store.js';
import type { IndexLog } from './write-hooks.js';
import { collectionPrefix, idFromKey } from '../format/bucket-layout.js';
import type { CounterCell } from '../observability/cell-counter.js';
import { readStoredDoc, type StoredDoc } from './read-stored-doc.js';

/** Default documents fetched and applied at once by a build. */
export const DEFAULT_BUILD_CONCURRENCY = 64;

/** Tuning of a build. */
export interface IndexBuildOptions {
  /** Keys listed per page (1..1000). Default 500. */
  readonly pageSize?: number;
  /** Documents fetched and applied at once. Default DEFAULT_BUILD_CONCURRENCY. */
  readonly concurrency?: number;
  /** How long the build's unique reservations live, in ms. Default 60_000. */
  readonly reservationTtlMs?: number;
}

/** What a build needs. */
export interface IndexBuildInput extends IndexBuildOptions {
  readonly indexes: IndexStore;
  readonly store: BlobStore;
  readonly collection: string;
  readonly log?: IndexLog;
  /** Stops the build (e.g. the server shuts down, the lease is lost). */
  readonly signal?: AbortSignal;
  /** Where the documents scanned for a target are counted (metrics `smarterbase.index.rebuild_documents`). */
  readonly scannedCounter?: (index: string) => CounterCell;
}

/** How a pass ended, per target. */
export interface IndexBuildResult {
  /** 'done': every target ended READY, FAILED or dropped; 'aborted': the rest stay BUILDING (shutdown, lost lease, outage). */
  readonly outcome: 'done' | 'aborted';
  readonly ready: readonly string[];
  readonly failed: readonly string[];
  /** Dropped or recreated meanwhile (left to whoever owns the new one). */
  readonly dropped: readonly string[];
}

/** The state of one pass, shared by its concurrent document applies. */
interface Pass {
  readonly input: IndexBuildInput;
  catalog: IndexCatalog;
  /** Targets still in the pass: name → createTime (ms) of the index they fill. */
  readonly targets: Map<string, number>;
  /** Unique targets that met a duplicate in the current chunk: name → reason. */
  readonly duplicates: Map<string, string>;
  readonly ready: string[];
  readonly failed: string[];
  readonly dropped: string[];
}

/** Runs one pass to its end; never throws (failures end in state FAILED). */
export async function buildCollection(input: IndexBuildInput): Promise<IndexBuildResult> {
  const { indexes, store, collection, signal } = input;
  const pageSize = input.pageSize ?? 500;
  const concurrency = input.concurrency ?? DEFAULT_BUILD_CONCURRENCY;
  let scanned = 0;
  const pass: Pass = {
    input,
    catalog: { version: 0, indexes: [] },
    targets: new Map(),
    duplicates: new Map(),
    ready: [],
    failed: [],
    dropped: [],
  };
  const end = (outcome: IndexBuildResult['outcome']): IndexBuildResult => ({
    outcome,
    ready: pass.ready,
    failed: pass.failed,
    dropped: pass.dropped,
  });
  try {
    pass.catalog = await indexes.catalog(collection, signal);
    for (const i of pass.catalog.indexes) if (i.state === 'building') pass.targets.set(i.name, i.createTime.getTime());
    const list = (startAfter?: string): Promise<ListPage> =>
      store.list({ prefix: collectionPrefix(collection), limit: pageSize, ...(startAfter ? { startAfter } : {}) }, signal);
    let pending = pass.targets.size > 0 ? list() : undefined;
    while (pending !== undefined && pass.targets.size > 0) {
      const page = await pending;
      if (signal?.aborted) return end('aborted');
      // The next page is listed while this one is applied.
      const last = page.keys[page.keys.length - 1];
      pending = page.isTruncated && last !== undefined ? list(last) : undefined;
      pending?.catch(() => undefined); // awaited (and its failure met) on the next turn
      const ids = page.keys.flatMap((k) => idFromKey(collection, k) ?? []);
      await eachLimited(ids, concurrency, (id) => indexOne(pass, id));
      await failDuplicates(pass, scanned + ids.length);
      scanned += page.keys.length;
      for (const name of pass.targets.keys()) input.scannedCounter?.(name).add(page.keys.length);
      await keepCurrent(pass);
      for (const name of [...pass.targets.keys()]) await setState(pass, name, { documentsScanned: scanned });
    }
    await keepCurrent(pass);
    for (const name of [...pass.targets.keys()]) {
      if (!(await setState(pass, name, { state: 'ready', documentsScanned: scanned }))) continue;
      pass.targets.delete(name);
      pass.ready.push(name);
    }
    if (pass.ready.length > 0) input.log?.info({ collection, indexes: pass.ready, documentsScanned: scanned }, 'indexes built');
    return end('done');
  } catch (err) {
    if (signal?.aborted) return end('aborted');
    // A backend outage is no verdict on the indexes: they stay BUILDING and the next reconcile resumes them.
    if (err instanceof DbError && err.kind === 'unavailable') {
      input.log?.warn(
        { err, collection, indexes: [...pass.targets.keys()] },
        'index build interrupted by a backend failure; resumed by the next reconcile',
      );
      return end('aborted');
    }
    input.log?.warn({ err, collection, indexes: [...pass.targets.keys()] }, 'index build failed');
    const message = `build failed: ${err instanceof Error ? err.message : String(err)}`;
    try {
      await keepCurrent(pass);
      for (const name of [...pass.targets.keys()]) await fail(pass, name, message, scanned);
    } catch {
      return end('aborted'); // the store is down: the rest stay BUILDING
    }
    return end('done');
  }
}

/** Runs `op` on every item, `width` at a time (a free slot takes the next item); stops taking items after a failure, which it throws. */
async function eachLimited<T>(items: readonly T[], width: number, op: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const item = items[next++] as T;
      try {
        await op(item);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const workers = Array.from({ length: Math.min(width, items.length) }, worker);
  const results = await Promise.allSettled(workers);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
}

/** Drops from the pass the targets dropped or recreated since it started (one catalog read). */
async function keepCurrent(pass: Pass): Promise<void> {
  const catalog = await pass.input.indexes.catalog(pass.input.collection, pass.input.signal);
  for (const [name, created] of pass.targets) {
    if (catalog.indexes.find((i) => i.name === name)?.createTime.getTime() === created) continue;
    pass.targets.delete(name);
    pass.dropped.push(name);
  }
}

/** Updates a target's state; false (and the target left as dropped) when the index went away meanwhile. */
async function setState(pass: Pass, name: string, update: Parameters<IndexStore['setIndexState']>[2]): Promise<boolean> {
  try {
    await pass.input.indexes.setIndexState(pass.input.collection, name, update);
    return true;
  } catch (err) {
    if (!(err instanceof DbError && err.reason === 'INDEX_NOT_FOUND')) throw err;
    pass.targets.delete(name);
    pass.dropped.push(name);
    return false;
  }
}

/** Marks FAILED the unique targets that met a duplicate (if still theirs); the others go on. */
async function failDuplicates(pass: Pass, scanned: number): Promise<void> {
  if (pass.duplicates.size === 0) return;
  await keepCurrent(pass);
  for (const [name, message] of pass.duplicates) if (pass.targets.has(name)) await fail(pass, name, message, scanned);
  pass.duplicates.clear();
}

async function fail(pass: Pass, name: string, message: string, scanned: number): Promise<void> {
  const { collection, log } = pass.input;
  if (!(await setState(pass, name, { state: 'failed', documentsScanned: scanned, error: message }))) return;
  pass.targets.delete(name);
  pass.failed.push(name);
  log?.warn({ collection, index: name, error: message }, 'index build failed');
}

/** Applies one document under the pass's catalog (refreshed when it changed), reserving the values of its unique targets. */
async function indexOne(pass: Pass, id: string): Promise<void> {
  const { indexes, collection } = pass.input;
  const doc = await readStoredDoc(pass.input.store, collection, id, pass.input.signal);
  if (doc === undefined) return; // deleted meanwhile: its delete maintains the indexes
  for (let attempt = 0; attempt < 10; attempt++) {
    const catalog = pass.catalog;
    const all = indexValues(catalog, doc.data);
    const reserved = await reserveTargets(pass, catalog, doc, all);
    const values = await withoutForeignValues(pass, catalog, doc, all);
    const outcome = await indexes.apply(collection, id, doc.seq, values, catalog.version);
    if (outcome !== 'catalog_changed') {
      if (outcome === 'stale' && Object.keys(reserved).length > 0) await indexes.releaseUnique(collection, id, reserved);
      return;
    }
    const latest = await indexes.catalog(collection, pass.input.signal);
    if (latest.version > pass.catalog.version) pass.catalog = latest;
  }
  throw new Error(`the catalog of ${collection} kept changing`);
}

/**
 * The document's values without those of READY unique indexes (not targets of
 * the pass) whose value another document holds: a document in storage that
 * such a live index never took (it was refused, or the index is being rebuilt
 * beside it) must not take the value over by being built; the live index
 * stays as it was. The reservation that checks it is not released (it is the
 * document's own value; it expires after the reservation TTL).
 */
async function withoutForeignValues(pass: Pass, catalog: IndexCatalog, doc: StoredDoc, values: IndexValues): Promise<IndexValues> {
  const { indexes, collection } = pass.input;
  const out: Record<string, readonly string[]> = { ...values };
  for (const info of catalog.indexes) {
    if (info.kind !== 'unique' || info.state !== 'ready' || pass.targets.has(info.name)) continue;
    const own = { [info.name]: values[info.name] ?? [] };
    if ((own[info.name] ?? []).length === 0) continue;
    const conflict = await indexes.reserveUnique(collection, doc.id, own, pass.input.reservationTtlMs ?? 60_000);
    if (conflict !== undefined) delete out[info.name];
  }
  for (const name of pass.duplicates.keys()) delete out[name];
  return out;
}

/**
 * Reserves the document's values of each unique target (one at a time, so a
 * duplicate in one does not hide the others); a duplicate is recorded
 * against that index unless the document changed meanwhile. The values
 * reserved are returned.
 */
async function reserveTargets(pass: Pass, catalog: IndexCatalog, doc: StoredDoc, values: IndexValues): Promise<IndexValues> {
  const { indexes, collection } = pass.input;
  const reserved: Record<string, readonly string[]> = {};
  for (const info of catalog.indexes) {
    if (info.kind !== 'unique' || !pass.targets.has(info.name) || pass.duplicates.has(info.name)) continue;
    const own = { [info.name]: values[info.name] ?? [] };
    const conflict = await indexes.reserveUnique(collection, doc.id, own, pass.input.reservationTtlMs ?? 60_000);
    if (conflict === undefined) {
      reserved[info.name] = own[info.name] ?? [];
      continue;
    }
    const current = await readStoredDoc(pass.input.store, collection, doc.id, pass.input.signal);
    if (current === undefined || current.seq !== doc.seq) continue; // rewritten meanwhile: that write's hooks decide
    pass.duplicates.set(
      info.name,
      `unique index ${info.name}: documents ${JSON.stringify(conflict.conflictingId)} and ${JSON.stringify(doc.id)} hold the same value`,
    );
  }
  return reserved;
}
