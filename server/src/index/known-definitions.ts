/**
 * The durable index definitions (durable-catalog.ts) as this server knows
 * them, read from object storage at most every `refreshMs` instead of on
 * every reconcile: a full read costs one LIST of `_meta/indexes/` plus one
 * GET per indexed collection. Between reads the copy is kept current by
 *  - this server's own CreateIndex and DropIndex (remember, forget);
 *  - the index store's catalog, compared every reconcile and seen by every
 *    write and query: an index it has and the copy lacks was created by
 *    another server (adopt);
 *  - a fresh read of one collection before anything is restored into the
 *    store (reread), so an index dropped elsewhere is never brought back;
 *  - invalidate(), on a detected Redis loss: the next reconcile reads all.
 * What it can miss until the next full read: the first index of a
 * collection, created on another server, when the store loses it before
 * this server wrote to or queried the collection (docs/operations.md).
 */
import type { Clock } from '../common/clock.js';
import { visibleIndexes, type IndexDefinition, type IndexInfo } from '../model/index-def.js';
import type { DurableCatalog } from './durable-catalog.js';

/** Default interval between full reads of the durable definitions, in ms. */
export const DEFAULT_DEFINITIONS_REFRESH_MS = 60_000;

/** The durable definitions by collection, refreshed at most every refreshMs (see the file comment). */
export class KnownDefinitions {
  private known = new Map<string, IndexDefinition[]>();
  /** When the last full read started (clock ms); undefined: never, or invalidated. */
  private readAt: number | undefined;

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

  /** The next current() reads everything (a detected Redis loss). */
  invalidate(): void {
    this.readAt = undefined;
  }

  /** Records a definition this server wrote (or saw in the store). */
  remember(def: IndexDefinition): void {
    const list = (this.known.get(def.collection) ?? []).filter((d) => d.name !== def.name);
    this.known.set(def.collection, [...list, { collection: def.collection, name: def.name, fields: [...def.fields], kind: def.kind }]);
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
