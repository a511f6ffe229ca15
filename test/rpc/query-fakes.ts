/**
 * In-test fakes of the QueryApi and AdminApi ports (server/src/api/query-api.ts):
 * they record every call and answer from fixed data, so the RPC layer can be
 * tested without the query engine. Special collections trigger behaviours:
 * "endless" streams forever (records close and abort), "fail-mid" throws
 * after two items, "needs-index" / "boom" throw.
 */
import type { CallContext } from '../../server/src/api/call-context.js';
import type { AdminApi, QueryApi, QueryInput, QueryItem, QuerySummary } from '../../server/src/api/query-api.js';
import { DbError } from '../../server/src/errors/db-error.js';
import type { StoredDocument } from '../../server/src/model/document.js';
import type { IndexDefinition, IndexInfo } from '../../server/src/model/index-def.js';

/** One recorded call. */
export interface FakeCall {
  readonly method: string;
  readonly ctx: CallContext;
  readonly args: unknown[];
}

/** What the endless stream saw. */
export interface EndlessState {
  produced: number;
  closed: boolean;
  aborted: boolean;
}

/** A stored document with data {n}. */
export function fakeDoc(collection: string, n: number): StoredDocument {
  const id = `d${String(n).padStart(2, '0')}`;
  return { collection, id, data: { n }, etag: `e-${id}`, version: 1, createTime: new Date(1000), updateTime: new Date(2000), revision: 0 };
}

/** The engine's DbError for a query no index can serve. */
export const indexRequired = (collection: string): DbError =>
  new DbError('failed_precondition', 'INDEX_REQUIRED', 'no READY index can serve this query', {
    metadata: { collection, suggestedIndex: 'n:ordered' },
  });

/** A QueryApi over documents n = 1..10 in id order; honours offset and limit (not the filter). */
export function fakeQueryApi(calls: FakeCall[], endless: EndlessState = { produced: 0, closed: false, aborted: false }): QueryApi {
  return {
    query(ctx: CallContext, input: QueryInput): AsyncGenerator<QueryItem, QuerySummary, undefined> {
      calls.push({ method: 'query', ctx, args: [input] });
      return (async function* (): AsyncGenerator<QueryItem, QuerySummary, undefined> {
        if (input.collection === 'needs-index') throw indexRequired(input.collection);
        if (input.collection === 'endless') {
          try {
            for (;;) {
              await new Promise((r) => setTimeout(r, 5));
              endless.produced++;
              yield { document: fakeDoc('endless', endless.produced), resumeToken: `t${endless.produced}`, skippedResults: 0 };
            }
          } finally {
            endless.closed = true;
            endless.aborted = ctx.signal.aborted;
          }
        }
        const all = Array.from({ length: 10 }, (_, i) => fakeDoc(input.collection, i + 1));
        const offset = input.offset ?? 0;
        const picked = all.slice(offset, input.limit ? offset + input.limit : undefined);
        let skipped = 0;
        for (const [i, document] of picked.entries()) {
          if (input.collection === 'fail-mid' && i === 2)
            throw new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'storage went away', { retryDelayMs: 250 });
          if (input.collection === 'boom') throw new Error('secret: redis://admin:pw@host');
          skipped += i % 2;
          yield { document, resumeToken: `tok-${document.id}`, skippedResults: skipped };
        }
        return { skippedResults: skipped + 5 };
      })();
    },
    async count(ctx, input) {
      calls.push({ method: 'count', ctx, args: [input] });
      if (input.collection === 'needs-index') throw indexRequired(input.collection);
      return { count: 42, storageRequests: 0 };
    },
    async explain(ctx, input) {
      calls.push({ method: 'explain', ctx, args: [input] });
      return {
        indexesUsed: ['by_n'],
        candidateCount: 10,
        storageRequests: 3,
        scan: false,
        sortedByIndex: true,
        residualFilter: '',
        description: 'ordered walk of by_n',
      };
    },
  };
}

/** An AdminApi over an in-memory catalogue; creating an existing name with another definition is INDEX_ALREADY_EXISTS. */
export function fakeAdminApi(calls: FakeCall[]): AdminApi {
  const catalog = new Map<string, IndexInfo>();
  const key = (c: string, n: string): string => `${c}\u0000${n}`;
  const notFound = (collection: string, name: string): DbError =>
    new DbError('not_found', 'INDEX_NOT_FOUND', `no index ${name} in ${collection}`, { metadata: { collection, index: name } });
  return {
    async createIndex(ctx, def: IndexDefinition) {
      calls.push({ method: 'createIndex', ctx, args: [def] });
      const existing = catalog.get(key(def.collection, def.name));
      if (existing !== undefined) {
        if (existing.kind === def.kind && existing.fields.join() === def.fields.join()) return existing;
        throw new DbError('already_exists', 'INDEX_ALREADY_EXISTS', `index ${def.name} exists with another definition`, {
          metadata: { collection: def.collection, index: def.name },
        });
      }
      const info: IndexInfo = {
        ...def,
        fields: [...def.fields],
        state: 'building',
        documentsScanned: 0,
        createTime: new Date(1_700_000_000_000),
      };
      catalog.set(key(def.collection, def.name), info);
      // The next GetIndex sees it READY: enough to exercise waitForIndexReady-style polling.
      setTimeout(() => catalog.set(key(def.collection, def.name), { ...info, state: 'ready', documentsScanned: 10 }), 20);
      return info;
    },
    async getIndex(ctx, collection, name) {
      calls.push({ method: 'getIndex', ctx, args: [collection, name] });
      const info = catalog.get(key(collection, name));
      if (info === undefined) throw notFound(collection, name);
      return info;
    },
    async listIndexes(ctx, collection) {
      calls.push({ method: 'listIndexes', ctx, args: [collection] });
      return [...catalog.values()].filter((i) => i.collection === collection).sort((a, b) => (a.name < b.name ? -1 : 1));
    },
    async dropIndex(ctx, collection, name) {
      calls.push({ method: 'dropIndex', ctx, args: [collection, name] });
      if (!catalog.delete(key(collection, name))) throw notFound(collection, name);
    },
    async *checkIndexes(ctx, input) {
      calls.push({ method: 'checkIndexes', ctx, args: [input] });
      const zero = { documentsScanned: 0, entriesChecked: 0, missing: 0, stale: 0, repaired: 0, skipped: 0 };
      yield { ...zero, done: true, samples: [] };
    },
    async *rebuildIndexes(ctx, input) {
      calls.push({ method: 'rebuildIndexes', ctx, args: [input] });
      yield { index: '', documentsScanned: 0, done: true, results: [] };
    },
  };
}
