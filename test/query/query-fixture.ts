/**
 * A query test bench without the document engine's write path: documents are
 * written to a MemoryBlobStore with encodeEnvelope and indexed by calling
 * LocalIndexStore.apply with indexValues, as the engine's write path does.
 * Queries read them through the engine's transaction-aware reader, as in the
 * server (the query engine has no other read path).
 */
import { encodeEnvelope, newWriteId } from '../../server/src/format/envelope.js';
import type { CallContext } from '../../server/src/api/call-context.js';
import { LocalIndexStore } from '../../server/src/index/local/local-index-store.js';
import { indexValues } from '../../server/src/index/extract-values.js';
import type { IndexKind } from '../../server/src/model/index-def.js';
import type { JsonObject } from '../../server/src/model/json.js';
import type { BlobStore } from '../../server/src/storage/blob-store.js';
import { MemoryBlobStore } from '../../server/src/storage/memory/memory-store.js';
import { QueryEngine, type QueryEngineOptions } from '../../server/src/query/query-engine.js';
import { DocumentEngine } from '../../server/src/engine/document-engine.js';
import { LocalCoordinator } from '../../server/src/coordination/local/local-coordinator.js';
import type { QueryInput, QueryItem, QuerySummary } from '../../server/src/api/query-api.js';
import { documentKey } from '../../server/src/format/bucket-layout.js';

/** A test bench for one collection. */
export class QueryBench {
  readonly store: BlobStore;
  readonly indexes = new LocalIndexStore();

  constructor(
    readonly collection = 'items',
    store: BlobStore = new MemoryBlobStore(),
  ) {
    this.store = store;
  }

  /** Creates a READY index. */
  async index(name: string, kind: IndexKind, fields: string[]): Promise<void> {
    await this.indexes.createIndex({ collection: this.collection, name, kind, fields }, new Date());
    await this.indexes.setIndexState(this.collection, name, { state: 'ready' });
  }

  /** Writes a document to the store only (its index entries are not touched). */
  async putBlob(id: string, data: JsonObject): Promise<void> {
    const now = new Date();
    const body = encodeEnvelope({ meta: { version: 1, createTime: now, updateTime: now, writeId: newWriteId() }, data });
    await this.store.put(documentKey(this.collection, id), body);
  }

  /** Updates the document's index entries to `data` (null: deleted). */
  async applyIndex(id: string, data: JsonObject | null): Promise<void> {
    const seq = await this.indexes.nextSeq(this.collection);
    const catalog = await this.indexes.catalog(this.collection);
    const outcome = await this.indexes.apply(this.collection, id, seq, data === null ? null : indexValues(catalog, data), catalog.version);
    if (outcome !== 'applied') throw new Error(`apply ${id}: ${outcome}`);
  }

  /** Writes a document and its index entries. */
  async put(id: string, data: JsonObject): Promise<void> {
    await this.putBlob(id, data);
    await this.applyIndex(id, data);
  }

  /** Deletes a document and its index entries. */
  async delete(id: string): Promise<void> {
    await this.store.delete(documentKey(this.collection, id));
    await this.applyIndex(id, null);
  }

  /** A QueryEngine over this bench. */
  engine(options: Partial<QueryEngineOptions> = {}): QueryEngine {
    const { reader } = new DocumentEngine({ store: this.store, coordinator: new LocalCoordinator() });
    return new QueryEngine({ store: this.store, indexes: this.indexes, reader, tokenSecret: 's', ...options });
  }
}

/** A call context that never aborts. */
export function ctx(signal: AbortSignal = new AbortController().signal): CallContext {
  return { signal };
}

/** Runs a query to the end: the items and the summary. */
export async function run(
  engine: QueryEngine,
  input: Omit<QueryInput, 'collection'> & { collection?: string },
  signal?: AbortSignal,
): Promise<{ items: QueryItem[]; summary: QuerySummary }> {
  const it = engine.query(ctx(signal), { collection: 'items', ...input });
  const items: QueryItem[] = [];
  for (;;) {
    const r = await it.next();
    if (r.done === true) return { items, summary: r.value };
    items.push(r.value);
  }
}

/** The ids of a query's results. */
export async function ids(engine: QueryEngine, input: Omit<QueryInput, 'collection'>): Promise<string[]> {
  return (await run(engine, input)).items.map((i) => i.document.id);
}
