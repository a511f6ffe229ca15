import type { IdSetExpr } from '../index/index-store.js';
import { compareUtf8 } from './compare.js';
import { beforeCursor, fetchMatching, type ExecContext, type Hit } from './exec-context.js';
import { indexRequired } from './planner.js';
import { idFromKey, collectionPrefix } from '../format/bucket-layout.js';

/**
 * The executor's simple sources: index candidates or a scan in id order, and
 * an in-memory sort of either. (The ordered-index walk is in walk-source.ts.)
 */

/** Keys per listing page of a scan. */
export const SCAN_PAGE = 1000;

/** The candidate ids of an IdSetExpr, after the cursor's id when ordering by id. */
async function candidateIds(ctx: ExecContext, expr: IdSetExpr, idOrder: boolean): Promise<string[]> {
  const ids = await ctx.indexes.ids(ctx.collection, expr, ctx.signal);
  const after = ctx.cursor?.id;
  return idOrder && after !== undefined ? ids.filter((id) => compareUtf8(id, after) > 0) : ids;
}

/** Index candidates in id order, fetched, re-checked. */
export async function* indexIdOrder(ctx: ExecContext, expr: IdSetExpr): AsyncGenerator<Hit, void, undefined> {
  yield* fetchMatching(ctx, await candidateIds(ctx, expr, true), true);
}

/** The collection's ids, page by page (after `startAfter`). */
export async function* listIds(ctx: ExecContext, startAfter?: string): AsyncGenerator<string[], void, undefined> {
  const prefix = collectionPrefix(ctx.collection);
  let after = startAfter === undefined ? undefined : prefix + startAfter;
  for (;;) {
    ctx.stats.storageRequests++;
    const page = await ctx.store.list({ prefix, limit: SCAN_PAGE, ...(after === undefined ? {} : { startAfter: after }) }, ctx.signal);
    const ids = page.keys.map((k) => idFromKey(ctx.collection, k)).filter((id): id is string => id !== undefined);
    if (ids.length > 0) yield ids;
    if (!page.isTruncated || page.keys.length === 0) return;
    after = page.keys[page.keys.length - 1];
  }
}

/** Every document of the collection in id order, fetched page by page, filtered. */
export async function* scanIdOrder(ctx: ExecContext): AsyncGenerator<Hit, void, undefined> {
  for await (const ids of listIds(ctx, ctx.cursor?.id)) yield* fetchMatching(ctx, ids, false);
}

/**
 * Sorts `hits` in memory. With `keep` finite (offset + limit, at most
 * maxSortBuffer) only the best `keep` are retained; otherwise more than
 * maxSortBuffer buffered matches fail with INDEX_REQUIRED (suggesting an
 * ordered index).
 */
export async function* sortInMemory(ctx: ExecContext, hits: AsyncIterable<Hit>, keep: number): AsyncGenerator<Hit, void, undefined> {
  // offset + limit beyond the buffer would keep as much in memory as no limit at all.
  if (Number.isFinite(keep) && keep > ctx.maxSortBuffer) throw tooMany(ctx);
  let buf: Hit[] = [];
  const byKey = (a: Hit, b: Hit): number => ctx.cmp(a.key, b.key);
  const trimAt = Math.max(2 * keep, 1024);
  for await (const h of hits) {
    if (beforeCursor(ctx, h.key)) continue;
    buf.push(h);
    if (Number.isFinite(keep)) {
      if (buf.length >= trimAt) buf = buf.sort(byKey).slice(0, keep);
    } else if (buf.length > ctx.maxSortBuffer) {
      throw tooMany(ctx);
    }
  }
  buf.sort(byKey);
  yield* buf.slice(0, Number.isFinite(keep) ? keep : buf.length);
}

/** The error for an in-memory sort that would exceed maxSortBuffer. */
export function tooMany(ctx: ExecContext): Error {
  return indexRequired(
    ctx.collection,
    ctx.filter,
    ctx.orderBy,
    `sorting more than ${ctx.maxSortBuffer} documents in memory is not allowed`,
  );
}

/** Index candidates sorted in memory. */
export async function* indexSorted(ctx: ExecContext, expr: IdSetExpr, keep: number): AsyncGenerator<Hit, void, undefined> {
  const ids = await candidateIds(ctx, expr, false);
  if (!Number.isFinite(keep) && ids.length > ctx.maxSortBuffer) throw tooMany(ctx);
  yield* sortInMemory(ctx, fetchMatching(ctx, ids, true), keep);
}

/** A scan sorted in memory. */
export async function* scanSorted(ctx: ExecContext, keep: number): AsyncGenerator<Hit, void, undefined> {
  const scanAll = async function* (): AsyncGenerator<Hit, void, undefined> {
    for await (const ids of listIds(ctx)) yield* fetchMatching(ctx, ids, false);
  };
  yield* sortInMemory(ctx, scanAll(), keep);
}
