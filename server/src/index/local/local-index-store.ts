import { throwIfAborted } from '../../common/abort.js';
import { compareUtf8, encodeEqualityValues } from '../extract-values.js';
import { applyDecision, eqAsRange, indexAlreadyExists, indexNotFound, newIndexInfo, requireIndex, sameDefinition } from '../index-rules.js';
import type {
  ApplyOutcome,
  EntryPage,
  EntryRepair,
  HeldEntries,
  IdSetExpr,
  IndexCatalog,
  IndexEntry,
  IndexStore,
  IndexValues,
  OrderedRange,
  OrderedWalk,
  PendingWrite,
  RepairOutcome,
} from '../index-store.js';
import { heldEntries, repairEntries, sampleEntries, scanEntries } from './local-index-check.js';
import type { EntryBound } from '../sorted-entries.js';
import { addEntry, copyValues, emptyIndex, removeEntry, type LocalCollection, type LocalIndex } from './local-entries.js';
import { PendingTable } from '../pending-table.js';
import type { IndexDefinition, IndexInfo, IndexState } from '../../model/index-def.js';
import { systemClock, type Clock } from '../../common/clock.js';

/** Options of the LocalIndexStore. */
export interface LocalIndexStoreOptions {
  /** The clock of reservation expiry and pending records. Default systemClock. */
  readonly clock?: Clock;
}

/**
 * The IndexStore in process (the embedded default, and the reference the
 * Redis adapter is tested against). Every method runs synchronously inside
 * one event-loop turn, so each is atomic, as the Redis scripts are.
 */
export class LocalIndexStore implements IndexStore {
  private readonly collections = new Map<string, LocalCollection>();
  private readonly clock: Clock;
  private readonly pending: PendingTable;

  /** An empty store. */
  constructor(options: LocalIndexStoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.pending = new PendingTable(this.clock);
  }

  /** The collection's catalog. */
  async catalog(collection: string, signal?: AbortSignal): Promise<IndexCatalog> {
    throwIfAborted(signal);
    return this.snapshot(this.col(collection));
  }

  /** Nothing to record: this store's catalogs live as long as the process, which restores them at start. */
  async recordNoIndexes(): Promise<string> {
    return '';
  }

  /** Adds an index in state 'building', or returns the existing one with the same definition. */
  async createIndex(def: IndexDefinition, now: Date): Promise<{ index: IndexInfo; created: boolean }> {
    const c = this.col(def.collection);
    const existing = c.catalog.get(def.name);
    if (existing !== undefined) {
      if (!sameDefinition(existing, def)) throw indexAlreadyExists(existing);
      return { index: existing, created: false };
    }
    const info = newIndexInfo(def, now);
    c.catalog.set(def.name, info);
    c.entries.set(def.name, emptyIndex());
    c.version++;
    return { index: info, created: true };
  }

  /** Updates state / progress / error. */
  async setIndexState(
    collection: string,
    name: string,
    update: { state?: IndexState; documentsScanned?: number; error?: string },
  ): Promise<void> {
    const c = this.col(collection);
    const info = c.catalog.get(name);
    if (info === undefined) throw indexNotFound(collection, name);
    const next: IndexInfo = {
      ...info,
      ...(update.state !== undefined ? { state: update.state } : {}),
      ...(update.documentsScanned !== undefined ? { documentsScanned: update.documentsScanned } : {}),
      ...(update.error !== undefined ? { error: update.error } : {}),
    };
    c.catalog.set(name, next);
  }

  /** Removes an index and its entries. */
  async dropIndex(collection: string, name: string): Promise<boolean> {
    const c = this.col(collection);
    if (!c.catalog.delete(name)) return false;
    c.entries.delete(name);
    c.version++;
    return true;
  }

  /** Swaps in the shadow's entries in one synchronous step (IndexStore.swapShadow). */
  async swapShadow(collection: string, name: string, shadow: string): Promise<boolean> {
    const c = this.col(collection);
    const live = c.catalog.get(name);
    const sh = c.catalog.get(shadow);
    if (live === undefined || sh === undefined || sh.state !== 'ready') return false;
    const { error: _dropped, ...rest } = live;
    c.catalog.set(name, { ...rest, state: 'ready', documentsScanned: sh.documentsScanned });
    c.entries.set(name, c.entries.get(shadow) as LocalIndex);
    c.catalog.delete(shadow);
    c.entries.delete(shadow);
    c.version++;
    return true;
  }

  /** The next sequence number of the collection (recorded as pending for `pendingId` when given). */
  async nextSeq(collection: string, pendingId?: string, given?: number): Promise<number> {
    const col = this.col(collection);
    const seq = given === undefined ? ++col.seq : given;
    col.seq = Math.max(col.seq, seq);
    if (pendingId !== undefined) this.pending.record(collection, pendingId, seq);
    return seq;
  }

  /** Pending records at least olderThanMs old. */
  async pendingWrites(collection: string, olderThanMs: number, limit: number): Promise<PendingWrite[]> {
    return this.pending.older(collection, olderThanMs, limit);
  }

  /** Removes the pending record of id if it holds seq. */
  async clearPending(collection: string, id: string, seq: number): Promise<void> {
    this.pending.clear(collection, id, seq);
  }

  /** Reserves the unique values of `id`; the first conflict, or undefined. */
  async reserveUnique(
    collection: string,
    id: string,
    values: IndexValues,
    ttlMs: number,
  ): Promise<{ index: string; conflictingId: string } | undefined> {
    const c = this.col(collection);
    const now = this.clock.now();
    const wanted: [LocalIndex, string][] = [];
    for (const [name, info] of c.catalog) {
      if (info.kind !== 'unique') continue;
      const ix = c.entries.get(name) as LocalIndex;
      for (const v of values[name] ?? []) {
        const owner = ix.owners.get(v);
        if (owner !== undefined && owner !== id) return { index: name, conflictingId: owner };
        const r = ix.reservations.get(v);
        if (r !== undefined && r.id !== id && r.expiresAt > now) return { index: name, conflictingId: r.id };
        wanted.push([ix, v]);
      }
    }
    for (const [ix, v] of wanted) ix.reservations.set(v, { id, expiresAt: now + ttlMs });
    return undefined;
  }

  /** Releases reservations of `id`. */
  async releaseUnique(collection: string, id: string, values: IndexValues): Promise<void> {
    const c = this.col(collection);
    for (const [name, ix] of c.entries) {
      for (const v of values[name] ?? []) {
        if (ix.reservations.get(v)?.id === id) ix.reservations.delete(v);
      }
    }
  }

  /** Replaces the document's entries (see IndexStore.apply). */
  async apply(collection: string, id: string, seq: number, values: IndexValues | null, catalogVersion: number): Promise<ApplyOutcome> {
    const c = this.col(collection);
    const recorded = c.records.get(id);
    const outcome = applyDecision(recorded, seq, catalogVersion, c.version);
    if (outcome !== 'catalog_changed') this.pending.clear(collection, id, seq);
    if (outcome !== 'applied') return outcome;
    const old = recorded?.values ?? null;
    for (const [name, info] of c.catalog) {
      const ix = c.entries.get(name) as LocalIndex;
      const next = values?.[name] ?? [];
      const keep = new Set(next);
      for (const v of old?.[name] ?? []) if (!keep.has(v)) removeEntry(ix, info, v, id);
      for (const v of next) addEntry(ix, info, v, id);
    }
    if (values === null) c.all.delete(id);
    else c.all.add(id);
    c.records.set(id, { seq, catalogVersion, values: values === null ? null : copyValues(values) });
    return 'applied';
  }

  /** Applies several documents in one synchronous step (see IndexStore.applyMany). */
  async applyMany(
    collection: string,
    items: readonly { readonly id: string; readonly seq: number; readonly values: IndexValues | null }[],
    catalogVersion: number,
  ): Promise<ApplyOutcome[]> {
    if (items.length > 0 && this.col(collection).version !== catalogVersion) return items.map(() => 'catalog_changed');
    // apply() has no await before its last line, so these run back to back with nothing in between.
    const outcomes = items.map((it) => this.apply(collection, it.id, it.seq, it.values, catalogVersion));
    return Promise.all(outcomes);
  }

  /** The ids of the set, ascending. */
  async ids(collection: string, expr: IdSetExpr, signal?: AbortSignal): Promise<string[]> {
    throwIfAborted(signal);
    return [...this.evaluate(this.col(collection), collection, expr)].sort(compareUtf8);
  }

  /** The size of the set. */
  async count(collection: string, expr: IdSetExpr, signal?: AbortSignal): Promise<number> {
    throwIfAborted(signal);
    return this.evaluate(this.col(collection), collection, expr).size;
  }

  /** A window of an ordered index. */
  async walk(collection: string, walk: OrderedWalk, signal?: AbortSignal): Promise<string[]> {
    throwIfAborted(signal);
    const c = this.col(collection);
    requireIndex(this.snapshot(c), collection, walk.index, ['ordered']);
    const ix = c.entries.get(walk.index) as LocalIndex;
    const within = walk.within === undefined ? undefined : this.evaluate(c, collection, walk.within);
    const out: string[] = [];
    let skip = walk.offset;
    if (walk.limit <= 0) return out;
    for (const id of walkIds(ix, walk)) {
      if (within !== undefined && !within.has(id)) continue;
      if (skip > 0) {
        skip--;
        continue;
      }
      out.push(id);
      if (out.length >= walk.limit) break;
    }
    return out;
  }

  /** Which probed entries exist (IndexStore.heldEntries). */
  async heldEntries(collection: string, probes: readonly { readonly id: string; readonly values: IndexValues }[]): Promise<HeldEntries[]> {
    return heldEntries(this.col(collection), probes);
  }

  /** A page of one index's entries (IndexStore.scanEntries). */
  async scanEntries(
    collection: string,
    index: string,
    cursor: string | undefined,
    count: number,
    signal?: AbortSignal,
  ): Promise<EntryPage> {
    throwIfAborted(signal);
    return scanEntries(this.col(collection), index, cursor, count);
  }

  /** Random entries of one index (IndexStore.sampleEntries). */
  async sampleEntries(collection: string, index: string, count: number, random: () => number): Promise<IndexEntry[]> {
    return sampleEntries(this.col(collection), index, count, random);
  }

  /** Repairs one document's entries (IndexStore.repairEntries). */
  async repairEntries(collection: string, repair: EntryRepair, catalogVersion: number): Promise<RepairOutcome> {
    return repairEntries(this.col(collection), repair, catalogVersion);
  }

  /** Nothing to close. */
  async close(): Promise<void> {}

  private evaluate(c: LocalCollection, collection: string, expr: IdSetExpr): Set<string> {
    switch (expr.op) {
      case 'all':
        return new Set(c.all);
      case 'eq': {
        const info = requireIndex(this.snapshot(c), collection, expr.index, ['equality', 'unique', 'ordered']);
        const ix = c.entries.get(expr.index) as LocalIndex;
        if (info.kind === 'ordered') {
          const range = eqAsRange(expr.values);
          return range === undefined ? new Set() : new Set(rangeIds(ix, range, 'asc'));
        }
        const v = encodeEqualityValues(info, expr.values);
        if (info.kind === 'unique') {
          const owner = ix.owners.get(v);
          return new Set(owner === undefined ? [] : [owner]);
        }
        return new Set(ix.sets.get(v) ?? []);
      }
      case 'range': {
        requireIndex(this.snapshot(c), collection, expr.index, ['ordered']);
        return new Set(rangeIds(c.entries.get(expr.index) as LocalIndex, expr.range, 'asc'));
      }
      case 'and': {
        const sets = expr.args.map((a) => this.evaluate(c, collection, a));
        if (sets.length === 0) return new Set();
        sets.sort((a, b) => a.size - b.size);
        const [first, ...rest] = sets as [Set<string>, ...Set<string>[]];
        return new Set([...first].filter((id) => rest.every((s) => s.has(id))));
      }
      case 'or': {
        const out = new Set<string>();
        for (const a of expr.args) for (const id of this.evaluate(c, collection, a)) out.add(id);
        return out;
      }
      case 'diff': {
        const from = this.evaluate(c, collection, expr.from);
        const minus = this.evaluate(c, collection, expr.minus);
        return new Set([...from].filter((id) => !minus.has(id)));
      }
    }
  }

  private snapshot(c: LocalCollection): IndexCatalog {
    const indexes = [...c.catalog.values()].sort((a, b) => compareUtf8(a.name, b.name));
    return { version: c.version, indexes };
  }

  private col(collection: string): LocalCollection {
    let c = this.collections.get(collection);
    if (c === undefined) {
      c = { version: 0, seq: 0, catalog: new Map(), entries: new Map(), all: new Set(), records: new Map() };
      this.collections.set(collection, c);
    }
    return c;
  }
}

function rangeIds(ix: LocalIndex, range: OrderedRange, direction: 'asc' | 'desc'): Generator<string> {
  if (range.type === 'number') {
    return ix.numbers.walk(direction, range.lower as EntryBound<number> | undefined, range.upper as EntryBound<number> | undefined);
  }
  return ix.strings.walk(direction, range.lower as EntryBound<string> | undefined, range.upper as EntryBound<string> | undefined);
}

function* walkIds(ix: LocalIndex, walk: OrderedWalk): Generator<string> {
  if (walk.range !== undefined) {
    yield* rangeIds(ix, walk.range, walk.direction);
  } else if (walk.direction === 'asc') {
    yield* ix.numbers.walk('asc');
    yield* ix.strings.walk('asc');
  } else {
    yield* ix.strings.walk('desc');
    yield* ix.numbers.walk('desc');
  }
}
