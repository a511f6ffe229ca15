import type { JsonObject, JsonValue } from '../model/json.js';
import type { OrderTerm } from '../model/filter.js';
import { getField, MISSING, type Missing } from './field-path.js';
import { compareUtf8 } from '../common/utf8-order.js';

/**
 * The one total order of SmarterBase (docs/queries.md "Ordering"), shared by
 * ordered-index walks, in-memory sorts and the naive evaluator.
 *
 * Values: by type first — numbers < strings < booleans < null < arrays <
 * objects — then by value: numbers numerically, strings by UTF-8 bytes,
 * false < true, arrays and objects by their canonical JSON (sorted keys).
 *
 * Sort keys: a term's values fall into three groups that keep their order in
 * both directions — (0) numbers and strings (what ordered indexes hold),
 * (1) other values, (2) MISSING. `desc` reverses the order within a group
 * only. Ties fall to the id, ascending (UTF-8 bytes), in both directions.
 */

/** UTF-8 byte order of two strings (one implementation for the whole server: common/utf8-order.ts). */
export { compareUtf8 };

/** The type rank of a value: number 0, string 1, boolean 2, null 3, array 4, object 5. */
export function typeRank(v: JsonValue): number {
  if (typeof v === 'number') return 0;
  if (typeof v === 'string') return 1;
  if (typeof v === 'boolean') return 2;
  if (v === null) return 3;
  return Array.isArray(v) ? 4 : 5;
}

/** JSON with object keys sorted (UTF-8 byte order), so equal values have equal text. */
export function canonicalJson(v: JsonValue): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(v).sort(compareUtf8);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k] as JsonValue)}`).join(',')}}`;
}

/** The total order of JSON values (negative, 0, positive). */
export function compareValues(a: JsonValue, b: JsonValue): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 0:
      return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    case 1:
      return compareUtf8(a as string, b as string);
    case 2:
      return Number(a) - Number(b);
    case 3:
      return 0;
    default:
      return compareUtf8(canonicalJson(a), canonicalJson(b));
  }
}

/** Deep equality of JSON values (object key order does not matter). */
export function jsonEquals(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEquals(x, b[i] as JsonValue));
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEquals(a[k] as JsonValue, b[k] as JsonValue));
}

/** One sort-key component: a value or MISSING. */
export type SortValue = JsonValue | Missing;

/** The position of a document in a query's order: its values for each term, then its id. */
export interface SortKey {
  readonly values: readonly SortValue[];
  readonly id: string;
}

/** 0: numbers and strings; 1: other values; 2: missing. */
function group(v: SortValue): number {
  if (v === MISSING) return 2;
  return typeof v === 'number' || typeof v === 'string' ? 0 : 1;
}

/** Compares two values of one order term in `direction` (missing last either way). */
export function compareTermValues(a: SortValue, b: SortValue, direction: 'asc' | 'desc'): number {
  const ga = group(a);
  const gb = group(b);
  if (ga !== gb) return ga - gb;
  if (ga === 2) return 0;
  const c = compareValues(a as JsonValue, b as JsonValue);
  return direction === 'desc' ? -c : c;
}

/** The sort key of a document for `orderBy`. */
export function sortKeyOf(orderBy: readonly OrderTerm[], id: string, data: JsonObject): SortKey {
  return { values: orderBy.map((t) => getField(data, t.field)), id };
}

/** A comparator of sort keys for `orderBy` (values term by term, then id ascending). */
export function compareKeys(orderBy: readonly OrderTerm[]): (a: SortKey, b: SortKey) => number {
  return (a, b) => {
    for (let i = 0; i < orderBy.length; i++) {
      const c = compareTermValues(a.values[i] as SortValue, b.values[i] as SortValue, (orderBy[i] as OrderTerm).direction);
      if (c !== 0) return c;
    }
    return compareUtf8(a.id, b.id);
  };
}

/** A comparator of documents ({id, data}) for `orderBy`: missing last, ties by id ascending. */
export function compareDocs(
  orderBy: readonly OrderTerm[],
): (a: { id: string; data: JsonObject }, b: { id: string; data: JsonObject }) => number {
  const byKey = compareKeys(orderBy);
  return (a, b) => byKey(sortKeyOf(orderBy, a.id, a.data), sortKeyOf(orderBy, b.id, b.data));
}
