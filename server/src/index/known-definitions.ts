/**
 * The durable index definitions (durable-catalog.ts) as this server knows
 * them, read from object storage at most every `refreshMs` instead of on
 * every reconcile: a full read costs one LIST of `_meta/indexes/` plus one
 * GET per indexed collection. Between reads the copy is kept current by
 *  - this server's own CreateIndex and DropIndex (remember, forget);
 *  - the index store's catalog, compared every reconcile (adopt: an index it
 *    has and the copy lacks was created by another server);
 *  - a fresh read of one collection when a write meets a catalog the copy
 *    cannot vouch for (forCatalog: lost, recreated, or with a new index);
 *  - a fresh read of one collection before anything is restored into the
 *    store (reread), so an index dropped elsewhere is never brought back;
 *  - invalidate(), on a detected Redis loss: the next reconcile reads all.
 * Writes are checked against forCatalog's answer, which is complete for
 * the catalog they run under (docs/operations.md "Redis lost").
 */
import type { Clock } from '../common/clock.js';
import { definitionOf, visibleIndexes, type IndexDefinition, type IndexInfo } from '../model/index-def.js';
import type { DurableCatalog } from './durable-catalog.js';
import type { IndexCatalog } from './index-store.js';

/** Default interval between full reads of the durable definitions, in ms. */
export const DEFAULT_DEFINITIONS_REFRESH_MS = 60_000;

/** The durable definitions by collection, refreshed at most every refreshMs (see the file comment). */
export class KnownDefinitions {
  private known = new Map<string, IndexDefinition[]>();
  /** When the last full read started (clock ms); undefined: never, or invalidated. */
  private readAt: number | undefined;
  /** Per collection, the store catalog generation its definitions were last read under (forCatalog). */
  private readonly readUnder = new Map<string, string>();

  /** A copy of `durable`'s definitions, fully re-read when older than refreshMs. */
  constructor(
    private readonly durable: DurableCatalog,
    private readonly clock: Clock,
    private readonly refreshMs: number = DEFAULT_DEFINITIONS_REFRESH_MS,
  ) {}

  /** One collection's definitions as known. */
  of(collection: string): readonly IndexDefinition[] {
    return this.known.get(collection) ?? [];
  }

  /** The collections with at least one definition in the copy. */
  collections(): string[] {
    return [...this.known].filter(([, defs]) => defs.length > 0).map(([collection]) => collection);
  }

  /** Every collection's definitions: the copy, read again first when it is older than refreshMs (or invalidated). */
  async current(signal?: AbortSignal): Promise<ReadonlyMap<string, readonly IndexDefinition[]>> {
    const now = this.clock.now();
    if (this.readAt === undefined || now - this.readAt >= this.refreshMs) await this.readAll(signal, now);
    return this.known;
  }

  /** Reads every definition now. */
  async readAll(signal?: AbortSignal, now = this.clock.now()): Promise<IndexDefinition[]> {
    const defs = await this.durable.all(signal);
    const next = new Map<string, IndexDefinition[]>();
    for (const d of defs) next.set(d.collection, [...(next.get(d.collection) ?? []), d]);
    this.known = next;
    this.readAt = now;
    return defs;
  }

  /** Reads one collection's definitions now (one GET). */
  async reread(collection: string, signal?: AbortSignal): Promise<readonly IndexDefinition[]> {
    const list = await this.durable.of(collection, signal);
    this.known.set(collection, list);
    return list;
  }

  /**
   * The collection's definitions, fit to check a write against `catalog` (the
   * index store's): read from storage again (one GET) when the catalog is a
   * generation this copy was not read under — the store lost it, or recreated
   * it since (a restore may be halfway) — or shows an index the copy lacks
   * (created on another server). A catalog the store does not hold ('') of a
   * collection storage defines no index for is recorded empty (`recordNone`),
   * so the next write finds a generation to trust. A store that cannot lose
   * its catalogs (no generation) is trusted as it is.
   */
  async forCatalog(
    collection: string,
    catalog: IndexCatalog,
    recordNone: () => Promise<string>,
    signal?: AbortSignal,
  ): Promise<readonly IndexDefinition[]> {
    const list = this.of(collection);
    const generation = catalog.generation;
    const current = generation === undefined || (generation !== '' && this.readUnder.get(collection) === generation);
    if (current && visibleIndexes(catalog.indexes).every((i) => list.some((d) => d.name === i.name))) return list;
    const read = await this.reread(collection, signal);
    const now = generation === '' && read.length === 0 ? await recordNone() : generation;
    if (now !== undefined && now !== '') this.readUnder.set(collection, now);
    return read;
  }

  /** The next current() reads everything (a detected Redis loss). */
  invalidate(): void {
    this.readAt = undefined;
  }

  /** Records a definition this server wrote (or saw in the store). */
  remember(def: IndexDefinition): void {
    const list = (this.known.get(def.collection) ?? []).filter((d) => d.name !== def.name);
    this.known.set(def.collection, [...list, definitionOf(def)]);
  }

  /** Forgets a definition this server dropped. */
  forget(collection: string, name: string): void {
    this.known.set(
      collection,
      this.of(collection).filter((d) => d.name !== name),
    );
  }

  /** Records the store's indexes the copy lacks (created by another server since the last read); a rebuild's shadow is no definition. */
  adopt(indexes: readonly IndexInfo[]): void {
    for (const info of visibleIndexes(indexes)) if (!this.of(info.collection).some((d) => d.name === info.name)) this.remember(info);
  }
}
