/**
 * Index administration (AdminService): validates definitions, creates
 * indexes in the IndexStore and builds them in the background from object
 * storage (index-builder.ts: one pass per collection fills all its BUILDING
 * indexes; one pass per collection across servers: leased-build.ts); an
 * index on an empty collection is READY at once. An index created while its
 * collection's pass runs gets another pass when that one ends.
 *
 * It also keeps the store in step with the durable definitions
 * (reconcile(): at start-up, every reconcile interval, and at once when a
 * writer meets a missing unique index or a Redis loss is detected): a
 * definition the store lacks — Redis restarted empty — is restored in state
 * BUILDING and rebuilt, and a BUILDING index whose build no server runs is
 * resumed. The definitions are read from storage at most every refresh
 * interval (known-definitions.ts); the store is compared every reconcile. It is the ExpectedIndexes of
 * the write hooks and the query engine (index-readiness.ts).
 */
import { setMaxListeners } from 'node:events';
import { throwIfAborted } from '../common/abort.js';
import { systemClock, type Clock } from '../common/clock.js';
import type { CallContext } from '../api/call-context.js';
import type { AdminApi, CheckIndexesInput, CheckIndexesProgress, RebuildIndexesInput, RebuildIndexesProgress } from '../api/query-api.js';
import { rebuildIndexes } from './index-rebuild.js';
import { checkIndexes } from './index-check.js';
import { validateCollection } from '../model/keys.js';
import { definitionOf, shadowIndexName, visibleIndexes, type IndexDefinition, type IndexInfo } from '../model/index-def.js';
import type { BlobStore } from '../storage/blob-store.js';
import { DurableCatalog } from './durable-catalog.js';
import { KnownDefinitions } from './known-definitions.js';
import { DEFAULT_BUILD_CONCURRENCY, type IndexBuildOptions } from './index-builder.js';
import type { Coordinator } from '../coordination/coordinator.js';
import { leasedBuild, type LeasedBuildResult } from './leased-build.js';
import type { ExpectedIndexes } from './index-readiness.js';
import { indexNotFound } from './index-rules.js';
import type { IndexCatalog, IndexStore } from './index-store.js';
import { hasIndexHashKey, indexHashKeyMissing } from './value-hash.js';
import { validateIndexDefinition, validateIndexName } from './index-validation.js';
import type { IndexLog } from './write-hooks.js';
import { collectionPrefix } from '../format/bucket-layout.js';
import type { CounterCell } from '../observability/cell-counter.js';
import { singleCell, type IndexInstruments, type NotReadyIndexesView } from '../observability/metrics.js';

/** What IndexAdmin needs. */
export interface IndexAdminOptions {
  readonly indexes: IndexStore;
  readonly store: BlobStore;
  readonly log?: IndexLog;
  /** Tuning of background builds. */
  readonly build?: IndexBuildOptions;
  /** The clock of createTime. Default systemClock. */
  readonly clock?: Clock;
  /** Where build leases are taken (one build per index across servers). Unset: no lease (one server). */
  readonly coordinator?: Coordinator;
  /** TTL of a build lease, in ms. Default leased-build.ts BUILD_LEASE_TTL_MS. */
  readonly buildLeaseTtlMs?: number;
  /** Interval between full reads of the durable definitions, in ms. Default known-definitions.ts DEFAULT_DEFINITIONS_REFRESH_MS. */
  readonly definitionsRefreshMs?: number;
  /** Where restores and scanned documents are counted (the catalogue's index instruments). */
  readonly instruments?: Pick<IndexInstruments, 'restores' | 'rebuildDocuments'>;
}

/** What one reconcile did. */
export interface ReconcileResult {
  /** Definitions restored to the store (it lacked them), as `collection.name`. */
  readonly restored: readonly string[];
  /** BUILDING indexes whose collection pass started here (restored ones, and those no pass of this server ran), as `collection.name`. */
  readonly builds: readonly string[];
}

/** A collection's build pass running in this process. */
interface RunningBuild {
  readonly controller: AbortController;
  readonly done: Promise<LeasedBuildResult>;
}

/** The AdminApi over an IndexStore and a BlobStore. */
export class IndexAdmin implements AdminApi, ExpectedIndexes, NotReadyIndexesView {
  /** Passes running here, by collection. */
  private readonly builds = new Map<string, RunningBuild>();
  /** Collections whose pass must run again when the running one ends (an index was created meanwhile). */
  private readonly rerun = new Set<string>();
  /** Names of the indexes seen BUILDING, by collection (refreshed by each reconcile, updated as builds end). */
  private readonly building = new Map<string, Set<string>>();
  private readonly durable: DurableCatalog;
  /** The durable definitions by collection, as last read or written here (create, drop) or seen in the store. */
  private readonly known: KnownDefinitions;
  private reconciling?: Promise<ReconcileResult>;
  /** While ensureIndexes runs: the collections whose pass starts once all are created. */
  private deferred: Set<string> | undefined;
  /** A reconcile was asked for while one ran (a detected loss): run another after it. */
  private again = false;
  private timer?: NodeJS.Timeout;
  private closed = false;
  private readonly restoresCell: CounterCell | undefined;

  /** An admin over the given ports. */
  constructor(private readonly options: IndexAdminOptions) {
    this.durable = new DurableCatalog(options.store);
    this.known = new KnownDefinitions(this.durable, this.clock(), options.definitionsRefreshMs);
    // Exported from the start (0), so a first restore shows as an increase.
    this.restoresCell = options.instruments ? singleCell(options.instruments.restores) : undefined;
  }

  /**
   * Creates the index (or returns the existing one with the same definition;
   * another definition under the name → INDEX_ALREADY_EXISTS). A new index is
   * READY at once on an empty collection, else BUILDING with a background build.
   * hashValues without a key (SB_INDEX_HASH_KEY_FILE) → FAILED_PRECONDITION /
   * ENCRYPTION_NOT_CONFIGURED.
   */
  async createIndex(ctx: CallContext, def: IndexDefinition): Promise<IndexInfo> {
    validateIndexDefinition(def);
    if (def.hashValues === true && !hasIndexHashKey()) throw indexHashKeyMissing(def.name);
    throwIfAborted(ctx.signal);
    const existing = (await this.options.indexes.catalog(def.collection, ctx.signal)).indexes.find((i) => i.name === def.name);
    const { index, created } = await this.options.indexes.createIndex(definitionOf(def), this.clock().date());
    // The durable copy first learns of a new definition (a same-named different one was refused above).
    if (existing === undefined) await this.durable.add(def, ctx.signal);
    this.known.remember(def);
    if (!created) {
      this.see(index);
      if (index.state === 'building') this.startBuild(index.collection);
      return index;
    }
    if (await this.collectionEmpty(def.collection)) {
      await this.options.indexes.setIndexState(def.collection, def.name, { state: 'ready', documentsScanned: 0 });
      this.see({ ...index, state: 'ready' });
      return { ...index, state: 'ready' };
    }
    this.see(index);
    this.startBuild(def.collection);
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
    return visibleIndexes((await this.options.indexes.catalog(collection, ctx.signal)).indexes);
  }

  /** Drops the index and stops its build; INDEX_NOT_FOUND when there is none. */
  async dropIndex(ctx: CallContext, collection: string, name: string): Promise<void> {
    validateCollection(collection);
    validateIndexName(name);
    throwIfAborted(ctx.signal);
    // A running pass stops filling it at its next progress report; its other indexes go on.
    await this.durable.remove(collection, name, ctx.signal);
    this.known.forget(collection, name);
    this.building.get(collection)?.delete(name);
    // A running online rebuild of it finds its shadow gone and ends 'dropped'.
    await this.options.indexes.dropIndex(collection, shadowIndexName(name));
    if (!(await this.options.indexes.dropIndex(collection, name))) throw indexNotFound(collection, name);
  }

  /** CheckIndexes: the exact check of index-check.ts over this admin's stores, stopped by ctx.signal. */
  checkIndexes(ctx: CallContext, input: CheckIndexesInput): AsyncGenerator<CheckIndexesProgress, void, undefined> {
    return checkIndexes({ ...input, indexes: this.options.indexes, store: this.options.store, signal: ctx.signal });
  }

  /** RebuildIndexes: the online rebuild of index-rebuild.ts over this admin's stores and build lease, cancelled by ctx.signal. */
  rebuildIndexes(ctx: CallContext, input: RebuildIndexesInput): AsyncGenerator<RebuildIndexesProgress, void, undefined> {
    const o = this.options;
    return rebuildIndexes({
      ...input,
      indexes: o.indexes,
      store: o.store,
      clock: this.clock(),
      signal: ctx.signal,
      ...(o.coordinator ? { coordinator: o.coordinator } : {}),
      ...(o.buildLeaseTtlMs !== undefined ? { leaseTtlMs: o.buildLeaseTtlMs } : {}),
      ...(o.build ? { build: o.build } : {}),
      ...(o.log ? { log: o.log } : {}),
      scanned: (name) =>
        o.instruments?.rebuildDocuments.cell(`${input.collection}\u0000${name}`, { collection: input.collection, index: name }),
    });
  }

  /**
   * Start-up: creates the declared indexes (see collections-file.ts) and
   * resumes the builds of those still BUILDING (e.g. after a restart): all
   * are created first, then one pass per collection builds them together.
   */
  async ensureIndexes(defs: readonly IndexDefinition[], ctx: CallContext): Promise<IndexInfo[]> {
    const out: IndexInfo[] = [];
    const deferred = (this.deferred ??= new Set());
    try {
      for (const def of defs) out.push(await this.createIndex(ctx, def));
    } finally {
      this.deferred = undefined;
      for (const collection of deferred) this.startBuild(collection);
    }
    return out;
  }

  /**
   * Start-up: recreates every index whose definition is in object storage
   * (docs/adr/0005) but not in the index store — the in-process store after a
   * restart, or a flushed Redis — and rebuilds it from the documents; resumes
   * builds left BUILDING.
   */
  async restore(ctx: CallContext): Promise<IndexInfo[]> {
    const defs = await this.known.readAll(ctx.signal);
    return this.ensureIndexes(defs, ctx);
  }

  /** The durable definitions, complete for `catalog` (ExpectedIndexes; KnownDefinitions.forCatalog). */
  definitionsFor(collection: string, catalog: IndexCatalog, signal?: AbortSignal): Promise<readonly IndexDefinition[]> {
    return this.known.forCatalog(collection, catalog, () => this.options.indexes.recordNoIndexes(collection), signal);
  }

  /** The collections with durable index definitions, as last read or written here (what the drift monitor samples and the pending sweeper sweeps). */
  collectionsWithIndexes(): string[] {
    return this.known.collections();
  }

  /** Indexes BUILDING per collection, as last seen (NotReadyIndexesView; collections with none report 0). */
  notReadyIndexes(): ReadonlyMap<string, number> {
    return new Map([...this.building].map(([collection, names]) => [collection, names.size]));
  }

  /** Starts a reconcile now unless one is running (ExpectedIndexes); its failure is logged. */
  requestReconcile(): void {
    if (this.closed || this.reconciling !== undefined) return;
    void this.reconcile().catch((err: unknown) => this.options.log?.warn({ err }, 'index reconcile failed; retried next interval'));
  }

  /**
   * Redis lost its data (coordinator.onLoss): the next reconcile reads every
   * durable definition again, and runs now (after the running one, if any).
   */
  refreshDefinitions(): void {
    this.known.invalidate();
    if (this.reconciling !== undefined) this.again = true;
    else this.requestReconcile();
  }

  /**
   * Reads the durable definitions and restores into the store those it
   * lacks (state BUILDING, then built; READY at once on an empty
   * collection), and starts the builds of BUILDING indexes that no build of
   * this server runs (the build lease leaves each to one server). One at a
   * time: a call during a reconcile joins it.
   */
  async reconcile(signal?: AbortSignal): Promise<ReconcileResult> {
    this.reconciling ??= this.reconcileOnce(signal).finally(() => {
      this.reconciling = undefined;
      if (this.again) {
        this.again = false;
        this.requestReconcile();
      }
    });
    return this.reconciling;
  }

  /** Reconciles every intervalMs until close() (failures logged, retried next time). */
  startReconciling(intervalMs: number): void {
    if (this.closed || this.timer !== undefined) return;
    this.timer = setInterval(() => this.requestReconcile(), intervalMs);
    this.timer.unref();
  }

  /** Resolves when every build running in this process has ended. */
  async whenIdle(): Promise<void> {
    while (this.builds.size > 0) await Promise.all([...this.builds.values()].map((b) => b.done));
  }

  /** Stops the running builds (their indexes stay BUILDING) and waits for them. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.reconciling?.catch(() => undefined);
    for (const b of this.builds.values()) b.controller.abort();
    await this.whenIdle();
  }

  private async reconcileOnce(signal?: AbortSignal): Promise<ReconcileResult> {
    const known = await this.known.current(signal);
    const restored: string[] = [];
    const builds: string[] = [];
    for (const collection of [...known.keys()]) {
      const catalog = await this.options.indexes.catalog(collection, signal);
      this.known.adopt(catalog.indexes);
      let list = this.known.of(collection);
      if (list.some((d) => !catalog.indexes.some((i) => i.name === d.name))) {
        // Read again after the catalog: a DropIndex removes the durable copy before the store's, so an
        // index dropped since the listing (or since the copy was read) is gone from this read too and is not brought back.
        list = await this.known.reread(collection, signal);
      }
      const building: string[] = [];
      for (const def of list) {
        if (this.closed) break;
        let info = catalog.indexes.find((i) => i.name === def.name);
        if (info === undefined) {
          info = (await this.options.indexes.createIndex({ ...def, fields: [...def.fields] }, this.clock().date())).index;
          restored.push(`${collection}.${def.name}`);
          this.restoresCell?.add();
          if (info.state === 'building' && (await this.collectionEmpty(collection))) {
            await this.options.indexes.setIndexState(collection, def.name, { state: 'ready', documentsScanned: 0 });
            info = { ...info, state: 'ready' };
          }
        }
        this.see(info);
        if (info.state === 'building') building.push(`${collection}.${def.name}`);
      }
      if (building.length === 0) continue;
      // One pass fills them all; one running here already gets a pass after it (it may not cover them).
      if (this.builds.has(collection)) this.rerun.add(collection);
      else builds.push(...building);
      this.startBuild(collection);
    }
    if (restored.length > 0) this.options.log?.warn({ restored }, 'index definitions missing from the index store restored; rebuilding');
    return { restored, builds };
  }

  private async collectionEmpty(collection: string): Promise<boolean> {
    return (await this.options.store.list({ prefix: collectionPrefix(collection), limit: 1 })).keys.length === 0;
  }

  private clock(): Clock {
    return this.options.clock ?? systemClock;
  }

  /** Records whether `info` is BUILDING (for notReadyIndexes). */
  private see(info: Pick<IndexInfo, 'collection' | 'name' | 'state'>): void {
    let names = this.building.get(info.collection);
    if (names === undefined) this.building.set(info.collection, (names = new Set()));
    if (info.state === 'building') names.add(info.name);
    else names.delete(info.name);
  }

  /** Starts the collection's pass unless one runs here; then it runs again once that one ends. */
  private startBuild(collection: string): void {
    if (this.closed) return;
    if (this.deferred !== undefined) {
      this.deferred.add(collection);
      return;
    }
    if (this.builds.has(collection)) {
      this.rerun.add(collection);
      return;
    }
    const controller = new AbortController();
    // Every document fetched at once listens to the pass's signal.
    setMaxListeners((this.options.build?.concurrency ?? DEFAULT_BUILD_CONCURRENCY) + 16, controller.signal);
    const instruments = this.options.instruments;
    const done = leasedBuild({
      ...this.options.build,
      indexes: this.options.indexes,
      store: this.options.store,
      collection,
      signal: controller.signal,
      controller,
      ...(this.options.coordinator ? { coordinator: this.options.coordinator } : {}),
      ...(this.options.buildLeaseTtlMs !== undefined ? { leaseTtlMs: this.options.buildLeaseTtlMs } : {}),
      ...(this.options.log ? { log: this.options.log } : {}),
      ...(instruments
        ? { scannedCounter: (index: string) => instruments.rebuildDocuments.cell(`${collection}\u0000${index}`, { collection, index }) }
        : {}),
    })
      .then((result) => {
        if (result === 'busy') return result;
        for (const name of [...result.ready, ...result.failed, ...result.dropped]) this.building.get(collection)?.delete(name);
        return result;
      })
      .finally(() => {
        this.builds.delete(collection);
        // An index created during the pass was not one of its targets: another pass (a no-op when none is left).
        if (this.rerun.delete(collection)) this.startBuild(collection);
      });
    this.builds.set(collection, { controller, done });
  }
}
