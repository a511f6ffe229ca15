import { DbError } from '../errors/db-error.js';
import type { Filter, OrderTerm } from '../model/filter.js';
import type { IndexInfo } from '../model/index-def.js';
import type { JsonValue } from '../model/json.js';
import type { IdSetExpr } from '../index/index-store.js';
import { rangeFor } from './index-range.js';

/**
 * The planner (docs/queries.md "The planner"): from the READY indexes of a
 * collection, a filter and an order, it derives
 *  - `candidates`: an IdSetExpr that contains every matching document (as
 *    indexed); undefined when no index serves the filter;
 *  - `exact`: the IdSetExpr is exactly the filter (Count may answer from the
 *    index alone; the executor still re-checks every fetched hit);
 *  - `residual`: the part of the filter the indexes do not answer;
 *  - `order`: id order, an ordered-index walk, or an in-memory sort.
 *
 * Index use: eq/in (any value: equality indexes hold each field's value and,
 * for arrays, every element, like the evaluator's eq) → equality or unique
 * index on the field (composite ones when every field has an eq);
 * lt/lte/gt/gte on numbers/strings and starts_with → ordered index ranges
 * (eq is not: it also matches array elements, which ordered indexes lack);
 * and → intersection of the indexable children; or → union, only when every
 * branch is indexable. ne/not_in/not/contains/array_contains/exists are
 * residual.
 */

/** How results are ordered. */
export type PlanOrder =
  | { readonly kind: 'id' }
  | { readonly kind: 'walk'; readonly index: string; readonly field: string; readonly direction: 'asc' | 'desc' }
  | { readonly kind: 'memory' };

/** A query plan. */
export interface Plan {
  readonly candidates?: IdSetExpr;
  readonly exact: boolean;
  readonly residual?: Filter;
  readonly indexesUsed: readonly string[];
  readonly order: PlanOrder;
  /** No index bounds the candidates and no index orders them: every document is listed and read. */
  readonly scan: boolean;
}

interface Part {
  expr: IdSetExpr;
  exact: boolean;
  residual?: Filter;
  used: Set<string>;
}

/** Plans `filter` + `orderBy` over `indexes` (only READY ones are used). */
export function planQuery(indexes: readonly IndexInfo[], filter: Filter | undefined, orderBy: readonly OrderTerm[]): Plan {
  const ready = indexes.filter((i) => i.state === 'ready');
  const part = filter === undefined ? undefined : planFilter(ready, filter);
  const used = new Set(part?.used ?? []);
  let order: PlanOrder = { kind: 'id' };
  const first = orderBy[0];
  if (first !== undefined) {
    const ordered = ready.find((i) => i.kind === 'ordered' && i.fields[0] === first.field);
    if (ordered !== undefined) {
      order = { kind: 'walk', index: ordered.name, field: first.field, direction: first.direction };
      used.add(ordered.name);
    } else {
      order = { kind: 'memory' };
    }
  }
  const residual = filter === undefined ? undefined : part === undefined ? filter : part.residual;
  return {
    ...(part === undefined ? {} : { candidates: part.expr }),
    exact: filter === undefined || (part?.exact ?? false),
    ...(residual === undefined ? {} : { residual }),
    indexesUsed: [...used].sort(),
    order,
    scan: part === undefined && order.kind !== 'walk',
  };
}

function eqIndex(ready: readonly IndexInfo[], field: string): IndexInfo | undefined {
  return ready.find((i) => (i.kind === 'equality' || i.kind === 'unique') && i.fields.length === 1 && i.fields[0] === field);
}

function orderedIndex(ready: readonly IndexInfo[], field: string): IndexInfo | undefined {
  return ready.find((i) => i.kind === 'ordered' && i.fields[0] === field);
}

/**
 * `field eq v` as an index lookup, when an equality/unique index serves it.
 * Never an ordered index: `eq` also matches array elements, which ordered
 * indexes do not hold.
 */
function eqPart(ready: readonly IndexInfo[], field: string, v: JsonValue): Part | undefined {
  const eq = eqIndex(ready, field);
  if (eq === undefined) return undefined;
  return { expr: { op: 'eq', index: eq.name, values: [v] }, exact: true, used: new Set([eq.name]) };
}

function planFilter(ready: readonly IndexInfo[], f: Filter): Part | undefined {
  switch (f.kind) {
    case 'and':
      return planAnd(ready, f.filters);
    case 'or': {
      const parts = f.filters.map((c) => planFilter(ready, c));
      if (parts.some((p) => p === undefined)) return undefined;
      const ps = parts as Part[];
      const exact = ps.every((p) => p.exact);
      return {
        expr: ps.length === 1 ? (ps[0] as Part).expr : { op: 'or', args: ps.map((p) => p.expr) },
        exact,
        ...(exact ? {} : { residual: f }),
        used: union(ps),
      };
    }
    case 'not':
      return undefined;
    case 'field':
      break;
  }
  if (f.op === 'eq') return eqPart(ready, f.field, f.value);
  if (f.op === 'in') {
    const vals = f.value as JsonValue[];
    if (vals.length === 0) return undefined;
    const parts = vals.map((v) => eqPart(ready, f.field, v));
    if (parts.some((p) => p === undefined)) return undefined;
    const ps = parts as Part[];
    return { expr: ps.length === 1 ? (ps[0] as Part).expr : { op: 'or', args: ps.map((p) => p.expr) }, exact: true, used: union(ps) };
  }
  const ord = orderedIndex(ready, f.field);
  const range = ord === undefined ? undefined : rangeFor(f.op, f.value);
  if (ord === undefined || range === undefined) return undefined;
  return { expr: { op: 'range', index: ord.name, range }, exact: true, used: new Set([ord.name]) };
}

function planAnd(ready: readonly IndexInfo[], children: readonly Filter[]): Part | undefined {
  const consumed = new Set<number>();
  const exprs: IdSetExpr[] = [];
  const used = new Set<string>();
  // Composite equality/unique indexes whose every field has an eq among the children.
  for (const idx of ready) {
    if ((idx.kind !== 'equality' && idx.kind !== 'unique') || idx.fields.length < 2) continue;
    const picks = idx.fields.map((field) =>
      children.findIndex((c, i) => !consumed.has(i) && c.kind === 'field' && c.op === 'eq' && c.field === field),
    );
    if (picks.some((p) => p < 0)) continue;
    picks.forEach((p) => consumed.add(p));
    exprs.push({ op: 'eq', index: idx.name, values: picks.map((p) => (children[p] as Extract<Filter, { kind: 'field' }>).value) });
    used.add(idx.name);
  }
  const residual: Filter[] = [];
  children.forEach((c, i) => {
    if (consumed.has(i)) return;
    const p = planFilter(ready, c);
    if (p === undefined) {
      residual.push(c);
      return;
    }
    exprs.push(p.expr);
    p.used.forEach((u) => used.add(u));
    if (!p.exact) residual.push(p.residual ?? c);
  });
  if (exprs.length === 0) return undefined;
  const exact = residual.length === 0;
  const res: Filter | undefined = exact ? undefined : residual.length === 1 ? residual[0] : { kind: 'and', filters: residual };
  return {
    expr: exprs.length === 1 ? (exprs[0] as IdSetExpr) : { op: 'and', args: exprs },
    exact,
    ...(res === undefined ? {} : { residual: res }),
    used,
  };
}

function union(parts: readonly Part[]): Set<string> {
  const out = new Set<string>();
  for (const p of parts) p.used.forEach((u) => out.add(u));
  return out;
}

/** DbError failed_precondition INDEX_REQUIRED for a query that would scan, with an index that would serve it. */
export function indexRequired(
  collection: string,
  filter: Filter | undefined,
  orderBy: readonly OrderTerm[],
  why = 'no index serves this query and scans are not allowed',
): DbError {
  const suggestion = suggestIndex(filter, orderBy);
  return new DbError('failed_precondition', 'INDEX_REQUIRED', `${why}; create ${suggestion} on collection ${collection}`, {
    metadata: { collection, suggestedIndex: suggestion },
  });
}

/** A human-readable index that would serve the query, e.g. `an equality index on (status)`. */
export function suggestIndex(filter: Filter | undefined, orderBy: readonly OrderTerm[]): string {
  const f = filter === undefined ? undefined : firstField(filter);
  if (f !== undefined && (f.op === 'eq' || f.op === 'in')) return `an equality index on (${f.field})`;
  if (f !== undefined && ['lt', 'lte', 'gt', 'gte', 'starts_with'].includes(f.op)) return `an ordered index on (${f.field})`;
  const o = orderBy[0];
  if (o !== undefined) return `an ordered index on (${o.field})`;
  return f !== undefined ? `an equality index on (${f.field})` : 'an index';
}

function firstField(f: Filter): Extract<Filter, { kind: 'field' }> | undefined {
  if (f.kind === 'field') return f;
  if (f.kind === 'not') return undefined;
  for (const c of f.filters) {
    const r = firstField(c);
    if (r !== undefined && ['eq', 'in', 'lt', 'lte', 'gt', 'gte', 'starts_with'].includes(r.op)) return r;
  }
  return undefined;
}
