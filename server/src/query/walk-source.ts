import type { IdSetExpr, OrderedRange } from '../index/index-store.js';
import { orderedMap } from '../common/ordered-map.js';
import { matches } from './evaluate.js';
import { compareTermValues, sortKeyOf, type SortKey, type SortValue } from './compare.js';
import { beforeCursor, fetchDoc, fetchMatching, type ExecContext, type Hit } from './exec-context.js';
import { tooMany } from './sources.js';

/**
 * Results in the order of an ordered index on the first order term: the
 * index is walked page by page (numbers then strings ascending; strings then
 * numbers descending), restricted to the candidates; fetched documents are
 * re-checked; documents tied on the first term are sorted by the remaining
 * terms. Then the "tail" — candidates the walk does not hold (field missing or
 * of another type) — is sorted in memory and appended (only the best `keep`
 * = offset + limit are retained when the query has a limit).
 *
 * Stale entries: a document whose current value no longer fits the walk
 * position (it would come before what was already sent) is dropped and
 * counted as skipped, so the stream stays in order.
 */

/** Ids per walk page. */
export const WALK_PAGE = 256;

/** What to walk. */
export interface WalkSpec {
  readonly index: string;
  readonly direction: 'asc' | 'desc';
  /** Candidates from the filter; undefined = every document. */
  readonly within?: IdSetExpr;
}

/** The walk source. */
export async function* walkOrdered(ctx: ExecContext, spec: WalkSpec, keep = Infinity): AsyncGenerator<Hit, void, undefined> {
  const { direction: dir } = spec;
  const types: Array<'number' | 'string'> = dir === 'asc' ? ['number', 'string'] : ['string', 'number'];
  const c0 = ctx.cursor?.values[0];
  const startSeg =
    ctx.cursor === undefined ? 0 : typeof c0 === 'number' || typeof c0 === 'string' ? types.indexOf(typeof c0 as 'number' | 'string') : 2;
  const misfits = new Map<string, Hit>();
  let last: SortKey | undefined;

  function* emit(group: Hit[]): Generator<Hit, void, undefined> {
    group.sort((a, b) => ctx.cmp(a.key, b.key));
    for (const h of group) {
      if (beforeCursor(ctx, h.key)) continue;
      if (last !== undefined && ctx.cmp(h.key, last) <= 0) {
        ctx.stats.skipped++;
        continue;
      }
      last = h.key;
      yield h;
    }
  }

  for (let s = startSeg; s < types.length; s++) {
    const type = types[s] as 'number' | 'string';
    let range: OrderedRange = { type };
    if (s === startSeg && ctx.cursor !== undefined) {
      const bound = { value: c0 as number | string, inclusive: true };
      range = dir === 'asc' ? { type, lower: bound } : { type, upper: bound };
    }
    let group: Hit[] = [];
    for (let offset = 0; ;) {
      const ids = await ctx.indexes.walk(
        ctx.collection,
        {
          index: spec.index,
          direction: dir,
          range,
          offset,
          limit: WALK_PAGE,
          ...(spec.within === undefined ? {} : { within: spec.within }),
        },
        ctx.signal,
      );
      offset += ids.length;
      for await (const doc of orderedMap(ids, ctx.concurrency, (id, signal) => fetchDoc(ctx, id, signal), ctx.signal)) {
        if (doc === undefined || (ctx.filter !== undefined && !matches(ctx.filter, doc.data))) {
          if (doc === undefined || ctx.exact) ctx.stats.skipped++;
          continue;
        }
        const hit = { doc, key: sortKeyOf(ctx.orderBy, doc.id, doc.data) };
        const v0 = hit.key.values[0];
        if (typeof v0 !== type) {
          misfits.set(doc.id, hit); // its index entry is stale: place it with the tail
          continue;
        }
        const g0 = group[0];
        if (g0 !== undefined && compareTermValues(g0.key.values[0] as SortValue, v0 as SortValue, dir) !== 0) {
          yield* emit(group);
          group = [];
        }
        group.push(hit);
        if (group.length > ctx.maxSortBuffer) throw tooMany(ctx);
      }
      if (ids.length < WALK_PAGE) break;
    }
    yield* emit(group);
  }

  // The tail: candidates without a number/string value in the index.
  const base: IdSetExpr = spec.within ?? { op: 'all' };
  const inWalk: IdSetExpr = {
    op: 'or',
    args: [
      { op: 'range', index: spec.index, range: { type: 'number' } },
      { op: 'range', index: spec.index, range: { type: 'string' } },
    ],
  };
  const tailIds = (await ctx.indexes.ids(ctx.collection, { op: 'diff', from: base, minus: inWalk }, ctx.signal)).filter(
    (id) => !misfits.has(id),
  );
  if (!Number.isFinite(keep) && tailIds.length + misfits.size > ctx.maxSortBuffer) throw tooMany(ctx);
  const tail = [...misfits.values()];
  const trimAt = Math.max(2 * keep, 1024);
  for await (const hit of fetchMatching(ctx, tailIds, true)) {
    if (beforeCursor(ctx, hit.key)) continue;
    tail.push(hit);
    if (tail.length >= trimAt) tail.splice(0, tail.length, ...tail.sort((a, b) => ctx.cmp(a.key, b.key)).slice(0, keep));
  }
  yield* emit(tail);
}
