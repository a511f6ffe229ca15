/**
 * Index administration (AdminService): validates definitions, creates
 * indexes in the IndexStore and builds them in the background from object
 * storage (index-builder.ts, one build per index across servers:
 * leased-build.ts); an index on an empty collection is READY at once.
 *
 * It also keeps the store in step with the durable definitions
 * (reconcile(): at start-up, every reconcile interval, and at once when a
 * writer meets a missing unique index): a definition the store lacks — Redis
 * restarted empty — is restored in state BUILDING and rebuilt, and a BUILDING
 * index whose build no server runs is resumed. It is the ExpectedIndexes of
 * the write hooks and the query engine (index-readiness.ts).
 */
import { throwIfAborted } from '../common/abort.js';
import { systemClock, type Clock } from '../common/clock.js';
import type { CallContext } from '../api/call-context.js';
import type { AdminApi, CheckIndexesInput, CheckIndexesProgress, RebuildIndexesInput, RebuildIndexesProgress } from '../api/query-api.js';
import { rebuildIndexes } from './index-rebuild.js';
import { checkIndexes } from './index-check.js';
import { validateCollection } from '../model/keys.js';
import { shadowIndexName, visibleIndexes, type IndexDefinition, type IndexInfo } from '../model/index-def.js';
import type { BlobStore } from '../storage/blob-store.js';
import { DurableCatalog } from './durable-catalog.js';
import type { IndexBuildOptions } from './index-builder.js';
import type { Coordinator } from '../coordination/coordinator.js';
import { leasedBuild, type LeasedBuildResult } from './leased-build.js';
import type { ExpectedIndexes } from './index-readiness.js';
import { indexNotFound } from './index-rules.js';
import type { IndexStore } from './index-store.js';
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
  /** Where restores and scanned documents are counted (the catalogue's index instruments). */
  readonly instruments?: Pick<IndexInstruments, 'restores' | 'rebuildDocuments'>;
}

/** What one reconcile did. */
export interface ReconcileResult {
  /** Definitions restored to the store (it lacked them), as `collection.name`. */
  readonly restored: readonly string[];
  /** Builds started here (restored indexes and BUILDING ones no build of this server ran), as `collection.name`. */
  readonly builds: readonly string[];
}

/** A build running in this process. */
interface RunningBuild {
  readonly controller: AbortController;
  readonly done: Promise<LeasedBuildResult>;
}

/** The AdminApi over an IndexStore and a BlobStore. */
export class IndexAdmin implements AdminApi, ExpectedIndexes, NotReadyIndexesView {
  private readonly builds = new Map<string, RunningBuild>();
  /** Names of the indexes seen BUILDING, by collection (refreshed by each reconcile, updated as builds end). */
  private readonly building = new Map<string, Set<string>>();
  private readonly durable: DurableCatalog;
  /** The durable definitions by collection, as last read (reconcile) or written here (create, drop). */
  private known = new Map<string, IndexDefinition[]>();
  private reconciling?: Promise<ReconcileResult>;
  private timer?: NodeJS.Timeout;
  private closed = false;
  private readonly restoresCell: CounterCell | undefined;

  /** An admin over the given ports. */
  constructor(private readonly options: IndexAdminOptions) {
    this.durable = new DurableCatalog(options.store);
    // Exported from the start (0), so a first restore shows as an increase.
    this.restoresCell = options.instruments ? singleCell(options.instruments.restores) : undefined;
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
      this.clock().date(),
    );
    // The durable copy first learns of a new definition (a same-named different one was refused above).
    if (existing === undefined) await this.durable.add(def, ctx.signal);
    this.remember(def);
    if (!created) {
      this.see(index);
      if (index.state === 'building') this.startBuild(index.collection, index.name);
      return index;
    }
    if (await this.collectionEmpty(def.collection)) {
      await this.options.indexes.setIndexState(def.collection, def.name, { state: 'ready', documentsScanned: 0 });
      this.see({ ...index, state: 'ready' });
      return { ...index, state: 'ready' };
    }
    this.see(index);
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
    return visibleIndexes((await this.options.indexes.catalog(collection, ctx.signal)).indexes);
  }

  /** Drops the index and stops its build; INDEX_NOT_FOUND when there is none. */
  async dropIndex(ctx: CallContext, collection: string, name: string): Promise<void> {
    validateCollection(collection);
    validateIndexName(name);
    throwIfAborted(ctx.signal);
    this.builds.get(buildKey(collection, name))?.controller.abort();
    await this.durable.remove(collection, name, ctx.signal);
    this.known.set(
      collection,
      (this.known.get(collection) ?? []).filter((d) => d.name !== name),
    );
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
        o.instruments?.rebuildDocuments.cell(buildKey(input.collection, name), { collection: input.collection, index: name }),
    });
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
    const defs = await this.durable.all(ctx.signal);
    this.known = byCollection(defs);
    return this.ensureIndexes(defs, ctx);
  }

  /** The collection's durable definitions as last read (ExpectedIndexes). */
  expected(collection: string): readonly IndexDefinition[] {
    return this.known.get(collection) ?? [];
  }

  /** The collections with durable index definitions, as last read or written here (what the drift monitor samples and the pending sweeper sweeps). */
  collectionsWithIndexes(): string[] {
    return [...this.known].filter(([, defs]) => defs.length > 0).map(([collection]) => collection);
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
   * Reads the durable definitions and restores into the store those it
   * lacks (state BUILDING, then built; READY at once on an empty
   * collection), and starts the builds of BUILDING indexes that no build of
   * this server runs (the build lease leaves each to one server). One at a
   * time: a call during a reconcile joins it.
   */
  async reconcile(signal?: AbortSignal): Promise<ReconcileResult> {
    this.reconciling ??= this.reconcileOnce(signal).finally(() => (this.reconciling = undefined));
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
    const defs = await this.durable.all(signal);
    this.known = byCollection(defs);
    const restored: string[] = [];
    const builds: string[] = [];
    for (const [collection, listed] of this.known) {
      const catalog = await this.options.indexes.catalog(collection, signal);
      let list = listed;
      if (list.some((d) => !catalog.indexes.some((i) => i.name === d.name))) {
        // Read again after the catalog: a DropIndex removes the durable copy before the store's, so an
        // index dropped since the listing is gone from this read too and is not brought back.
        list = await this.durable.of(collection, signal);
        this.known.set(collection, list);
      }
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
        if (info.state === 'building' && !this.builds.has(buildKey(collection, def.name))) {
          this.startBuild(collection, def.name);
          builds.push(`${collection}.${def.name}`);
        }
      }
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

  private remember(def: IndexDefinition): void {
    const list = (this.known.get(def.collection) ?? []).filter((d) => d.name !== def.name);
    this.known.set(def.collection, [...list, { collection: def.collection, name: def.name, fields: [...def.fields], kind: def.kind }]);
  }

  private startBuild(collection: string, name: string): void {
    const key = buildKey(collection, name);
    if (this.closed || this.builds.has(key)) return;
    const controller = new AbortController();
    const done = leasedBuild({
      ...this.options.build,
      indexes: this.options.indexes,
      store: this.options.store,
      collection,
      name,
      signal: controller.signal,
      controller,
      ...(this.options.coordinator ? { coordinator: this.options.coordinator } : {}),
      ...(this.options.buildLeaseTtlMs !== undefined ? { leaseTtlMs: this.options.buildLeaseTtlMs } : {}),
      ...(this.options.log ? { log: this.options.log } : {}),
      ...(this.options.instruments
        ? { scannedCounter: this.options.instruments.rebuildDocuments.cell(key, { collection, index: name }) }
        : {}),
    })
      .then((result) => {
        if (result === 'ready' || result === 'failed' || result === 'dropped') this.building.get(collection)?.delete(name);
        return result;
      })
      .finally(() => this.builds.delete(key));
    this.builds.set(key, { controller, done });
  }
}

function byCollection(defs: readonly IndexDefinition[]): Map<string, IndexDefinition[]> {
  const out = new Map<string, IndexDefinition[]>();
  for (const d of defs) out.set(d.collection, [...(out.get(d.collection) ?? []), d]);
  return out;
}

function buildKey(collection: string, name: string): string {
  return `${collection}\u0000${name}`;
}
