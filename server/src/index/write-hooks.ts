/**
 * What the document engine calls around every document write to keep the
 * indexes in step (docs/queries.md, consistency):
 *
 *   const p = await hooks.prepare(collection, id, newData | null); // after reading the old state
 *   try { <conditional write storing p.seq in the envelope> } catch (e) { await hooks.abort(p); throw e; }
 *   await hooks.commit(p);
 *
 * prepare() reserves the unique values (a conflict fails the write before it
 * happens) and takes the sequence number, recording the write as pending
 * index work when the collection has indexes; the apply of commit() clears
 * that record, and a record left behind (the process died, the apply failed,
 * the write failed or was aborted) is repaired by the pending sweeper
 * (pending-sweeper.ts, docs/adr/0008). commit() never throws: the write is
 * already durable in object storage, so an index failure must not turn it
 * into an error. It is logged and counted instead (stats().commitFailures, the
 * apply-failures metric);
 * the reservations it leaves expire, and queries re-check every hit, so a
 * missed index update can hide a document from indexed queries (until it is
 * written again or the index rebuilt) but never produce a wrong result.
 */
import { DbError } from '../errors/db-error.js';
import type { CommittedWrite, PreparedWrite, PrepareOptions, WriteHooks } from '../api/write-hooks.js';
import type { JsonObject } from '../model/json.js';
import { liveIndexName, type IndexDefinition } from '../model/index-def.js';
import { indexValues } from './extract-values.js';
import type { IndexCatalog, IndexStore, IndexValues } from './index-store.js';
import { indexNotReady, uniqueNotReady, type ExpectedIndexes } from './index-readiness.js';
import type { CellCounter } from '../observability/cell-counter.js';

/** The little of a logger the index code needs (a pino Logger fits). */
export interface IndexLog {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/** Options of IndexWriteHooks. */
export interface IndexWriteHooksOptions {
  /** How long unique reservations live unless the write commits, in ms. Default 30_000. */
  readonly reservationTtlMs?: number;
  /** How often commit() recomputes values after 'catalog_changed' before giving up. Default 5. */
  readonly maxCatalogRetries?: number;
  /** Where failures are logged. Default: nowhere. */
  readonly log?: IndexLog;
  /**
   * The durable definitions (IndexAdmin): a write setting a field of a UNIQUE
   * index that the store lacks or has not READY is refused INDEX_NOT_READY
   * (index-readiness.ts). Default: only the store's catalog is consulted.
   */
  readonly expected?: ExpectedIndexes;
  /** RetryInfo delay of INDEX_NOT_READY, in ms. Default 1000. */
  readonly notReadyRetryMs?: number;
  /** Where failed applies are counted by collection (metrics `smarterbase.index.apply_failures`). Default: stats() only. */
  readonly applyFailures?: CellCounter;
}

/** A write between prepare() and commit()/abort(): the port's PreparedWrite (its seq) plus what the index hooks keep. */
export interface IndexPreparedWrite extends PreparedWrite {
  readonly collection: string;
  readonly id: string;
  /** The new data; null for a delete. */
  readonly data: JsonObject | null;
  /** The catalog the values were computed with. */
  readonly catalog: IndexCatalog;
  /** The index values of data under catalog (null for a delete). */
  readonly values: IndexValues | null;
  /** The unique values reserved by prepare() (empty when none). */
  readonly reserved: IndexValues;
}

/** Counters of IndexWriteHooks since it was made. */
export interface IndexWriteStats {
  /** commit() calls that could not update the indexes (logged). */
  readonly commitFailures: number;
  /** commit() calls ignored because a newer write of the document was applied first. */
  readonly staleCommits: number;
  /** Recomputations after a catalog change. */
  readonly catalogRetries: number;
}

/** The index side of document writes: prepare → (write) → commit | abort. */
export class IndexWriteHooks implements WriteHooks<IndexPreparedWrite> {
  private readonly ttlMs: number;
  private readonly maxRetries: number;
  private counters = { commitFailures: 0, staleCommits: 0, catalogRetries: 0 };

  /** Hooks over `indexes`. */
  constructor(
    private readonly indexes: IndexStore,
    private readonly options: IndexWriteHooksOptions = {},
  ) {
    this.ttlMs = options.reservationTtlMs ?? 30_000;
    this.maxRetries = options.maxCatalogRetries ?? 5;
  }

  /**
   * Computes the values of `data` (null: a delete), reserves its unique
   * values and takes the write's sequence number. Throws
   * DbError('already_exists', 'UNIQUE_VIOLATION') (metadata collection,
   * index, conflictingId) when another document holds a unique value, and
   * DbError('unavailable', 'INDEX_NOT_READY') when `data` sets a field of a
   * UNIQUE index that is not READY (being rebuilt); other errors are the
   * store's (e.g. 'unavailable').
   */
  async prepare(
    collection: string,
    id: string,
    data: JsonObject | null,
    signal?: AbortSignal,
    opts?: PrepareOptions,
  ): Promise<IndexPreparedWrite> {
    const catalog = await this.indexes.catalog(collection, signal);
    if (data !== null && this.options.expected !== undefined) {
      const expected = await this.options.expected.definitionsFor(collection, catalog, signal);
      this.checkUniqueReady(collection, catalog, expected, data);
    }
    const values = data === null ? null : indexValues(catalog, data);
    const reserved = uniqueValues(catalog, values);
    if (Object.keys(reserved).length > 0) {
      const conflict = await this.indexes.reserveUnique(collection, id, reserved, this.ttlMs);
      if (conflict !== undefined) {
        // A rebuild's shadow may see the conflict first: name the index the user knows.
        const index = liveIndexName(conflict.index);
        throw new DbError(
          'already_exists',
          'UNIQUE_VIOLATION',
          `unique index ${collection}/${index}: the value is already held by document ${JSON.stringify(conflict.conflictingId)}`,
          { metadata: { collection, index, conflictingId: conflict.conflictingId } },
        );
      }
    }
    try {
      // A collection with indexes records the write as pending in the same step (docs/adr/0008).
      const seq = await this.indexes.nextSeq(collection, catalog.indexes.length > 0 ? id : undefined, opts?.seq);
      return { collection, id, seq, data, catalog, values, reserved };
    } catch (e) {
      await this.release(collection, id, reserved);
      throw e;
    }
  }

  /**
   * Applies a committed write to the indexes, recomputing the values when
   * the catalog changed meanwhile. Never throws (see the file comment).
   */
  async commit(p: IndexPreparedWrite): Promise<void> {
    let catalog = p.catalog;
    let values = p.values;
    try {
      for (let attempt = 0; ; attempt++) {
        const outcome = await this.indexes.apply(p.collection, p.id, p.seq, values, catalog.version);
        if (outcome === 'applied') return;
        if (outcome === 'stale') {
          this.counters.staleCommits++;
          return;
        }
        if (attempt >= this.maxRetries) throw new Error(`catalog kept changing (${attempt + 1} attempts)`);
        this.counters.catalogRetries++;
        catalog = await this.indexes.catalog(p.collection);
        values = p.data === null ? null : indexValues(catalog, p.data);
      }
    } catch (err) {
      this.counters.commitFailures++;
      this.countFailures(p.collection, 1);
      this.options.log?.warn(
        { err, collection: p.collection, id: p.id, seq: p.seq },
        'index update failed after a committed write; indexed queries may miss this document until it is written again',
      );
    }
  }

  /**
   * Applies a committed transaction's index changes with their original
   * seqs, one IndexStore.applyMany (one atomic step) per collection,
   * recomputing the values when the catalog changed meanwhile. Never throws
   * (failures are counted and logged like commit's).
   */
  async applyCommitted(writes: readonly CommittedWrite[]): Promise<void> {
    const byCollection = new Map<string, CommittedWrite[]>();
    for (const w of writes) byCollection.set(w.collection, [...(byCollection.get(w.collection) ?? []), w]);
    await Promise.all([...byCollection].map(([collection, group]) => this.applyGroup(collection, group)));
  }

  /** Releases the reservations of a write that did not happen. Never throws. */
  async abort(p: IndexPreparedWrite): Promise<void> {
    await this.release(p.collection, p.id, p.reserved);
  }

  /** The counters so far. */
  stats(): IndexWriteStats {
    return { ...this.counters };
  }

  /** Throws INDEX_NOT_READY when `data` sets a field of a UNIQUE index that is not READY (see index-readiness.ts). */
  private checkUniqueReady(collection: string, catalog: IndexCatalog, expected: readonly IndexDefinition[], data: JsonObject): void {
    const blocking = uniqueNotReady(catalog, expected, data);
    if (blocking === undefined) return;
    const missing = !catalog.indexes.some((i) => i.name === blocking.name);
    if (missing) this.options.expected?.requestReconcile();
    const why = missing ? 'its definition is being restored to the index store' : 'it is being built';
    throw indexNotReady(collection, blocking.name, `${why}, so uniqueness cannot be checked`, this.options.notReadyRetryMs);
  }

  private countFailures(collection: string, n: number): void {
    this.options.applyFailures?.cell(collection, { collection }).add(n);
  }

  private async applyGroup(collection: string, group: readonly CommittedWrite[]): Promise<void> {
    try {
      for (let attempt = 0; ; attempt++) {
        const catalog = await this.indexes.catalog(collection);
        const items = group.map((w) => ({ id: w.id, seq: w.seq, values: w.data === null ? null : indexValues(catalog, w.data) }));
        const outcomes = await this.indexes.applyMany(collection, items, catalog.version);
        if (!outcomes.includes('catalog_changed')) {
          this.counters.staleCommits += outcomes.filter((o) => o === 'stale').length;
          return;
        }
        if (attempt >= this.maxRetries) throw new Error(`catalog kept changing (${attempt + 1} attempts)`);
        this.counters.catalogRetries++;
      }
    } catch (err) {
      this.counters.commitFailures += group.length;
      this.countFailures(collection, group.length);
      this.options.log?.warn(
        { err, collection, ids: group.map((w) => w.id) },
        'index update of a committed transaction failed; indexed queries may miss these documents until they are written again',
      );
    }
  }

  private async release(collection: string, id: string, reserved: IndexValues): Promise<void> {
    if (Object.keys(reserved).length === 0) return;
    try {
      await this.indexes.releaseUnique(collection, id, reserved);
    } catch (err) {
      this.options.log?.warn({ err, collection, id }, 'releasing unique reservations failed; they expire by themselves');
    }
  }
}

/** The values of the unique indexes only (indexes without values left out). */
function uniqueValues(catalog: IndexCatalog, values: IndexValues | null): IndexValues {
  const out: Record<string, readonly string[]> = {};
  if (values === null) return out;
  for (const info of catalog.indexes) {
    const v = values[info.name];
    if (info.kind === 'unique' && v !== undefined && v.length > 0) out[info.name] = v;
  }
  return out;
}
