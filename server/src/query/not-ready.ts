/**
 * The planner rule for indexes that are not READY (docs/queries.md "Indexes
 * that are not ready"): the planner takes candidates from READY indexes only,
 * since a BUILDING index (new, or rebuilt after Redis lost it) may lack
 * entries, and a candidate set it cannot prove complete would silently drop
 * matches. A query that only such indexes would serve therefore scans; with
 * `require_index` it is refused UNAVAILABLE / INDEX_NOT_READY (retry after
 * the build) instead of FAILED_PRECONDITION / INDEX_REQUIRED (create one).
 */
import type { Filter, OrderTerm } from '../model/filter.js';
import type { IndexInfo } from '../model/index-def.js';
import { planQuery } from './planner.js';

/**
 * The BUILDING indexes that would serve the query if they were READY, when
 * the READY ones alone leave it a scan; empty otherwise (by name).
 */
export function notReadyServing(indexes: readonly IndexInfo[], filter: Filter | undefined, orderBy: readonly OrderTerm[]): string[] {
  const building = new Set(indexes.filter((i) => i.state === 'building').map((i) => i.name));
  if (building.size === 0 || !planQuery(indexes, filter, orderBy).scan) return [];
  const asIfReady = planQuery(
    indexes.map((i) => (building.has(i.name) ? { ...i, state: 'ready' as const } : i)),
    filter,
    orderBy,
  );
  return asIfReady.scan ? [] : asIfReady.indexesUsed.filter((n) => building.has(n));
}
