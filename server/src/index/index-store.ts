/**
 * The index port: secondary indexes kept beside the documents — in Redis
 * (adapter index/redis/, one hash tag per collection so the layout
 * works on Redis Cluster) or in process (index/local/, the embedded
 * default). The engine never sees Redis; it sees this.
 *
 * Consistency: indexes are eventually consistent with the documents in object
 * storage. Writers take a sequence number (nextSeq) AFTER reading the
 * document they replace and BEFORE their conditional write, store it in the
 * envelope, and apply their index change with it afterwards; apply() ignores
 * a change whose seq is not newer than the one recorded for the document, so
 * out-of-order appliers converge on the last committed write. Queries re-check
 * every hit against the fetched document, so a stale entry never yields a
 * wrong result.
 */
import type { JsonValue } from '../model/json.js';
import type { IndexDefinition, IndexInfo, IndexState } from '../model/index-def.js';

/** The indexes of one collection, with a version that changes on every catalog change. */
export interface IndexCatalog {
  readonly version: number;
  /** By name. */
  readonly indexes: readonly IndexInfo[];
  /**
   * Which copy of the collection's catalog the store holds: it changes when
   * the store loses the catalog and it is created again (Redis restarted
   * empty, then a restore or a write recreated it), and it is '' when the
   * store holds none (the collection never had an index or a
   * recordNoIndexes(), or the store lost it). Index definitions read from
   * storage under one generation stay valid while it lasts. Absent on a store
   * that cannot lose its catalogs while the process runs.
   */
  readonly generation?: string;
}

/**
 * The values a document contributes to each index of the catalog, computed by
 * index/extract-values.ts: index name → encoded values (an array field gives
 * one value per element; a missing field gives none).
 */
export type IndexValues = Readonly<Record<string, readonly string[]>>;

/** A range on an ordered index, over values of one type. */
export interface OrderedRange {
  /** Numbers (and only numbers) or strings (and only strings). */
  readonly type: 'number' | 'string';
  readonly lower?: { readonly value: number | string; readonly inclusive: boolean };
  readonly upper?: { readonly value: number | string; readonly inclusive: boolean };
}

/** A set of document ids, described for the store to compute (in Redis: SINTER/SUNION/ZRANGE…). */
export type IdSetExpr =
  /** Documents whose equality/unique index value equals `values` (one per indexed field). */
  | { readonly op: 'eq'; readonly index: string; readonly values: readonly JsonValue[] }
  /** Documents whose ordered index value lies in the range. */
  | { readonly op: 'range'; readonly index: string; readonly range: OrderedRange }
  /** Every document of the collection (as indexed). */
  | { readonly op: 'all' }
  | { readonly op: 'and' | 'or'; readonly args: readonly IdSetExpr[] }
  /** `from` minus `minus`. */
  | { readonly op: 'diff'; readonly from: IdSetExpr; readonly minus: IdSetExpr };

/** A walk of an ordered index. */
export interface OrderedWalk {
  readonly index: string;
  readonly direction: 'asc' | 'desc';
  /** Restrict to this range (type fixes which values are walked). Unset: numbers then strings (asc), reversed for desc. */
  readonly range?: OrderedRange;
  /** Only ids also in this set. */
  readonly within?: IdSetExpr;
  readonly offset: number;
  readonly limit: number;
}

/** A write whose index apply has not been confirmed (IndexStore.nextSeq with a pendingId). */
export interface PendingWrite {
  readonly id: string;
  readonly seq: number;
  /** How long ago it was recorded, in ms (by the store's clock). */
  readonly ageMs: number;
}

/** Outcome of apply(). */
export type ApplyOutcome =
  /** The document's entries now reflect this write. */
  | 'applied'
  /** A newer write of the document was applied already; nothing changed. */
  | 'stale'
  /** The catalog changed since the caller computed its values: recompute with the new catalog and retry. */
  | 'catalog_changed';

/** One index entry: `value` (encoded as in extract-values.ts) held for document `id` in `index`. */
export interface IndexEntry {
  readonly index: string;
  readonly value: string;
  readonly id: string;
}

/** What the store holds for one probed document (IndexStore.heldEntries). */
export interface HeldEntries {
  /** The seq of the document's index record (the last write applied); undefined when it has none. */
  readonly recordSeq?: number;
  /** Of the probed values, those whose entry (value → id) exists, by index. */
  readonly held: IndexValues;
  /** The values the record says the document has (undefined: no record, or a deleted document's). */
  readonly recorded?: IndexValues;
}

/** A page of IndexStore.scanEntries. */
export interface EntryPage {
  readonly entries: readonly IndexEntry[];
  /** Pass back to continue; undefined at the end. Entries may repeat across pages (Redis SCAN). */
  readonly cursor?: string;
}

/** A repair of one document's entries (IndexStore.repairEntries). */
export interface EntryRepair {
  readonly id: string;
  /** The record seq the repair was computed from (undefined: no record); if it changed since, nothing is done. */
  readonly expectedRecordSeq?: number;
  /** The document's seq in storage (ignored when values is null and there is no record). */
  readonly seq: number;
  /** The document's values under the catalog (every index); null when there is no document. */
  readonly values: IndexValues | null;
  /** Entries of the id to remove (found stale), unless `values` has them. */
  readonly remove: IndexValues;
}

/** Outcome of repairEntries: done, the record changed meanwhile (a write maintains it), or the catalog changed. */
export type RepairOutcome = 'repaired' | 'changed' | 'catalog_changed';

/** The index port. Every method may throw DbError('unavailable', 'BACKEND_UNAVAILABLE'). */
export interface IndexStore {
  // ---- catalog -----------------------------------------------------------
  /** The collection's catalog (cheap: adapters cache it and validate the version). */
  catalog(collection: string, signal?: AbortSignal): Promise<IndexCatalog>;
  /**
   * Records that the collection has no index (its durable definitions were
   * read and found empty): creates its catalog, empty, unless the store holds
   * one. Returns the generation of the catalog the store then holds.
   */
  recordNoIndexes(collection: string): Promise<string>;
  /** Adds an index in state 'building' (or returns the existing one with the same definition). */
  createIndex(def: IndexDefinition, now: Date): Promise<{ index: IndexInfo; created: boolean }>;
  /** Updates state / progress / error of an index. */
  setIndexState(collection: string, name: string, update: { state?: IndexState; documentsScanned?: number; error?: string }): Promise<void>;
  /** Removes an index and all its entries; false when there was none. */
  dropIndex(collection: string, name: string): Promise<boolean>;
  /**
   * In one atomic step (docs/adr/0009): index `name` takes the entries of
   * its READY shadow `shadow` (same definition), becomes READY with the
   * shadow's documentsScanned and no error, and the shadow leaves the
   * catalog (its version changes); the old entries are deleted. Keeps
   * `name`'s definition and createTime. False (nothing changed) when either
   * index is missing or the shadow is not READY.
   */
  swapShadow(collection: string, name: string, shadow: string): Promise<boolean>;

  // ---- writes ------------------------------------------------------------
  /**
   * A number strictly greater than every earlier nextSeq of the collection.
   * With `pendingId`, also records (pendingId, seq, now) as pending index
   * work in the same atomic step (docs/adr/0008): apply() / applyMany() of
   * that id with that seq clears it, else the pending sweeper repairs it.
   * With `given` (a revision the change feed allocated, docs/adr/0012), that
   * number is used instead and the counter moves past it; a store that
   * cannot take it throws.
   */
  nextSeq(collection: string, pendingId?: string, given?: number): Promise<number>;
  /** Lists pending records of the collection at least `olderThanMs` old (by the store's clock), at most `limit`. */
  pendingWrites(collection: string, olderThanMs: number, limit: number): Promise<PendingWrite[]>;
  /** Removes the pending record of `id` if it still holds `seq` (a newer write's record stays). */
  clearPending(collection: string, id: string, seq: number): Promise<void>;
  /**
   * Reserves unique values for document `id` before its write: for each
   * unique index, its values. Returns the first conflict (another document
   * holds the value and still has it), or undefined when all are reserved.
   * Reservations not confirmed by apply() expire after ttlMs.
   */
  reserveUnique(
    collection: string,
    id: string,
    values: IndexValues,
    ttlMs: number,
  ): Promise<{ index: string; conflictingId: string } | undefined>;
  /** Releases reservations of `id` that apply() did not confirm (the write failed). */
  releaseUnique(collection: string, id: string, values: IndexValues): Promise<void>;
  /**
   * Atomically (one Lua script / MULTI) replaces the document's entries in
   * every index with `values` (null = the document was deleted), using the
   * per-document record of its previous values; confirms its unique
   * reservations and frees the old ones. Ignored unless seq is newer than the
   * recorded one. Unless the outcome is 'catalog_changed', clears the
   * document's pending record when it holds this seq.
   */
  apply(collection: string, id: string, seq: number, values: IndexValues | null, catalogVersion: number): Promise<ApplyOutcome>;
  /**
   * apply() for several documents of one collection in ONE atomic step (one
   * Lua script): no reader sees some of them applied and others not. One
   * outcome per item, in order; all 'catalog_changed' (nothing changed) when
   * the catalog moved on. Used for the documents of a committed transaction.
   */
  applyMany(
    collection: string,
    items: readonly { readonly id: string; readonly seq: number; readonly values: IndexValues | null }[],
    catalogVersion: number,
  ): Promise<ApplyOutcome[]>;

  // ---- reads -------------------------------------------------------------
  /** The ids of the set, ascending in UTF-8 byte order. */
  ids(collection: string, expr: IdSetExpr, signal?: AbortSignal): Promise<string[]>;
  /** The size of the set. */
  count(collection: string, expr: IdSetExpr, signal?: AbortSignal): Promise<number>;
  /** A window of an ordered index, in (value, id) order; ids whose value is not of the walked type(s) are not included. */
  walk(collection: string, walk: OrderedWalk, signal?: AbortSignal): Promise<string[]>;

  // ---- check and repair (index-check.ts) ---------------------------------
  /** For each probe, its record seq and which of the probed values the index holds for the id. */
  heldEntries(collection: string, probes: readonly { readonly id: string; readonly values: IndexValues }[]): Promise<HeldEntries[]>;
  /** A page of about `count` entries of one index (every entry once per full scan, possibly more than once). */
  scanEntries(collection: string, index: string, cursor: string | undefined, count: number, signal?: AbortSignal): Promise<EntryPage>;
  /** Up to `count` entries of one index picked at random (`random` where the adapter picks itself). */
  sampleEntries(collection: string, index: string, count: number, random: () => number): Promise<IndexEntry[]>;
  /**
   * Makes one document's entries in every index exactly `values` (re-adding
   * missing ones, removing `remove` and the recorded values it no longer
   * has; a unique value held by another document is left alone) and records
   * (seq, values) — atomically, and only if the document's record seq is
   * still `expectedRecordSeq` and the catalog version `catalogVersion`.
   */
  repairEntries(collection: string, repair: EntryRepair, catalogVersion: number): Promise<RepairOutcome>;

  /** Closes connections (a no-op for adapters that share the coordinator's). */
  close(): Promise<void>;
}
