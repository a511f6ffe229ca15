import type { StoredDocument } from '../model/document.js';
import type { Filter, OrderTerm } from '../model/filter.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { IndexStore } from '../index/index-store.js';
import { orderedMap } from '../common/ordered-map.js';
import type { Envelope } from '../format/envelope.js';
import { compareKeys, sortKeyOf, type SortKey } from './compare.js';
import { matches } from './evaluate.js';

/**
 * What the executor's sources share: the ports, the query, the call's signal
 * and the running statistics.
 */

/** A matching document with its position in the query's order. */
export interface Hit {
  readonly doc: StoredDocument;
  readonly key: SortKey;
}

/** Counters of one execution. */
export interface ExecStats {
  /** Index hits dropped: deleted, no longer matching, or out of index order. */
  skipped: number;
  /** Object-storage requests made (gets and list pages). */
  storageRequests: number;
}

/**
 * The query engine's one read path: a document as committed (implemented by
 * engine/document-reader.ts: transactions in flight are resolved). Undefined
 * when it does not exist.
 */
export interface CommittedReader {
  read(collection: string, id: string, signal?: AbortSignal): Promise<{ readonly etag: string; readonly env: Envelope } | undefined>;
}

/** One execution's context. */
export interface ExecContext {
  readonly store: BlobStore;
  /** Transaction-aware reads: every document a query returns is read through it. */
  readonly reader: CommittedReader;
  readonly indexes: IndexStore;
  readonly collection: string;
  readonly filter?: Filter;
  readonly orderBy: readonly OrderTerm[];
  readonly cmp: (a: SortKey, b: SortKey) => number;
  readonly signal: AbortSignal;
  readonly concurrency: number;
  readonly maxSortBuffer: number;
  /** Continue strictly after this position (from a resume token). */
  readonly cursor?: SortKey;
  /** The index candidates are exactly the filter: a fetched hit that does not match is a stale entry (counted). */
  readonly exact: boolean;
  readonly stats: ExecStats;
}

/** Builds an ExecContext. */
export function execContext(base: Omit<ExecContext, 'cmp' | 'stats'>): ExecContext {
  return { ...base, cmp: compareKeys(base.orderBy), stats: { skipped: 0, storageRequests: 0 } };
}

/** Reads one document; undefined when it does not exist. */
export async function fetchDoc(ctx: ExecContext, id: string, signal: AbortSignal): Promise<StoredDocument | undefined> {
  ctx.stats.storageRequests++;
  const state = await ctx.reader.read(ctx.collection, id, signal);
  if (state === undefined) return undefined;
  const { env } = state;
  return {
    collection: ctx.collection,
    id,
    data: env.data,
    etag: state.etag,
    version: env.meta.version,
    createTime: env.meta.createTime,
    updateTime: env.meta.updateTime,
    revision: env.meta.seq ?? 0,
    ...(env.meta.expireTime === undefined ? {} : { expireTime: env.meta.expireTime }),
  };
}

/**
 * Fetches `ids` with bounded concurrency, in order, and yields those that
 * exist and match the filter. `fromIndex`: the ids are index hits, so the
 * deleted ones (and, when the candidates are exact, the non-matching ones)
 * count as skipped.
 */
export async function* fetchMatching(ctx: ExecContext, ids: readonly string[], fromIndex: boolean): AsyncGenerator<Hit, void, undefined> {
  for await (const doc of orderedMap(ids, ctx.concurrency, (id, signal) => fetchDoc(ctx, id, signal), ctx.signal)) {
    if (doc === undefined || (ctx.filter !== undefined && !matches(ctx.filter, doc.data))) {
      if (fromIndex && (doc === undefined || ctx.exact)) ctx.stats.skipped++;
      continue;
    }
    yield { doc, key: sortKeyOf(ctx.orderBy, doc.id, doc.data) };
  }
}

/** True when `key` is not after the cursor (so a resumed query skips it). */
export function beforeCursor(ctx: ExecContext, key: SortKey): boolean {
  return ctx.cursor !== undefined && ctx.cmp(key, ctx.cursor) <= 0;
}
