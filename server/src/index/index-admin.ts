/**
 * Index administration (AdminService): validates definitions, creates
 * indexes in the IndexStore and builds them in the background from object
 * storage (index-builder.ts); an index on an empty collection is READY at once.
 */
import { throwIfAborted } from '../common/abort.js';
import { systemClock, type Clock } from '../common/clock.js';
import type { CallContext } from '../api/call-context.js';
import type { AdminApi } from '../api/query-api.js';
import { validateCollection } from '../model/keys.js';
import type { IndexDefinition, IndexInfo } from '../model/index-def.js';
import type { BlobStore } from '../storage/blob-store.js';
import { DurableCatalog } from './durable-catalog.js';
import { buildIndex, type IndexBuildOptions, type IndexBuildResult } from './index-builder.js';
import { indexNotFound } from './index-rules.js';
import type { IndexStore } from './index-store.js';
import { validateIndexDefinition, validateIndexName } from './index-validation.js';
import type { IndexLog } from './write-hooks.js';
import { collectionPrefix } from '../format/bucket-layout.js';

/** What IndexAdmin needs. */
export interface IndexAdminOptions {
  readonly indexes: IndexStore;
  readonly store: BlobStore;
  readonly log?: IndexLog;
  /** Tuning of background builds. */
  readonly build?: IndexBuildOptions;
  /** The clock of createTime. Default systemClock. */
  readonly clock?: Clock;
}

/** A build running in this process. */
interface RunningBuild {
  readonly controller: AbortController;
  readonly done: Promise<IndexBuildResult>;
}

/** The AdminApi over an IndexStore and a BlobStore. */
export class IndexAdmin implements AdminApi {
  private readonly builds = new Map<string, RunningBuild>();
  private readonly durable: DurableCatalog;
  private closed = false;

  /** An admin over the given ports. */
  constructor(private readonly options: IndexAdminOptions) {
    this.durable = new DurableCatalog(options.store);
  }

  /**
   * Creates the index (or returns the existing one with the same definition;
   * another definition under the name → INDEX_ALREADY_EXISTS). A new index is
   * READY at once on an empty collection, else BUILDING with a background build.
   */
  async createIndex(ctx: CallContext, def: IndexDefinition): Promise<IndexInfo> {
    validateIndexDefinition(def);
    throwIfAborted(ctx.signal);
    const existing = (await this.options.indexes.catalog(def.collection, ctx.signal)).indexes.find((i) => i.name === def.name);
    const { index, created } = await this.options.indexes.createIndex(
      { collection: def.collection, name: def.name, fields: [...def.fields], kind: def.kind },
      (this.options.clock ?? systemClock).date(),
    );
    // The durable copy first learns of a new definition (a same-named different one was refused above).
    if (existing === undefined) await this.durable.add(def, ctx.signal);
    if (!created) {
      if (index.state === 'building') this.startBuild(index.collection, index.name);
      return index;
    }
    const first = await this.options.store.list({ prefix: collectionPrefix(def.collection), limit: 1 });
    if (first.keys.length === 0) {
      await this.options.indexes.setIndexState(def.collection, def.name, { state: 'ready', documentsScanned: 0 });
      return { ...index, state: 'ready' };
    }
    this.startBuild(def.collection, def.name);
    return index;
  }

  /** The index, or INDEX_NOT_FOUND. */
  async getIndex(ctx: CallContext, collection: string, name: string): Promise<IndexInfo> {
    validateCollection(collection);
    validateIndexName(name);
    const catalog = await this.options.indexes.catalog(collection, ctx.signal);
    const info = catalog.indexes.find((i) => i.name === name);
    if (info === undefined) throw indexNotFound(collection, name);
    return info;
  }

  /** The collection's indexes, by name. */
  async listIndexes(ctx: CallContext, collection: string): Promise<IndexInfo[]> {
    validateCollection(collection);
    return [...(await this.options.indexes.catalog(collection, ctx.signal)).indexes];
  }

  /** Drops the index and stops its build; INDEX_NOT_FOUND when there is none. */
  async dropIndex(ctx: CallContext, collection: string, name: string): Promise<void> {
    validateCollection(collection);
    validateIndexName(name);
    throwIfAborted(ctx.signal);
    this.builds.get(buildKey(collection, name))?.controller.abort();
    await this.durable.remove(collection, name, ctx.signal);
    if (!(await this.options.indexes.dropIndex(collection, name))) throw indexNotFound(collection, name);
  }

  /**
   * Start-up: creates the declared indexes (see collections-file.ts) and
   * resumes the builds of those still BUILDING (e.g. after a restart).
   */
  async ensureIndexes(defs: readonly IndexDefinition[], ctx: CallContext): Promise<IndexInfo[]> {
    const out: IndexInfo[] = [];
    for (const def of defs) out.push(await this.createIndex(ctx, def));
    return out;
  }

  /**
   * Start-up: recreates every index whose definition is in object storage
   * (docs/adr/0005) but not in the index store — the in-process store after a
   * restart, or a flushed Redis — and rebuilds it from the documents; resumes
   * builds left BUILDING.
   */
  async restore(ctx: CallContext): Promise<IndexInfo[]> {
    return this.ensureIndexes(await this.durable.all(ctx.signal), ctx);
  }

  /** Resolves when every build running in this process has ended. */
  async whenIdle(): Promise<void> {
    while (this.builds.size > 0) await Promise.all([...this.builds.values()].map((b) => b.done));
  }

  /** Stops the running builds (their indexes stay BUILDING) and waits for them. */
  async close(): Promise<void> {
    this.closed = true;
    for (const b of this.builds.values()) b.controller.abort();
    await this.whenIdle();
  }

  private startBuild(collection: string, name: string): void {
    const key = buildKey(collection, name);
    if (this.closed || this.builds.has(key)) return;
    const controller = new AbortController();
    const done = buildIndex({
      ...this.options.build,
      indexes: this.options.indexes,
      store: this.options.store,
      collection,
      name,
      signal: controller.signal,
      ...(this.options.log ? { log: this.options.log } : {}),
    }).finally(() => this.builds.delete(key));
    this.builds.set(key, { controller, done });
  }
}

function buildKey(collection: string, name: string): string {
  return `${collection}\u0000${name}`;
}
