import type { Filter } from '../model/filter.js';
import type { JsonObject, JsonValue } from '../model/json.js';
import { compareValues, jsonEquals } from './compare.js';
import { getField, MISSING } from './field-path.js';

/**
 * The reference semantics of filters (docs/queries.md "Operators"), applied
 * to every fetched document. Equality matches like an equality index does:
 * `f eq v` holds when f equals v deeply, or f is an array with an element
 * equal to v — so a recheck never drops a true index hit.
 */

/** `field eq v` under the array-element rule. */
export function eqHolds(field: JsonValue, v: JsonValue): boolean {
  if (jsonEquals(field, v)) return true;
  return Array.isArray(field) && field.some((e) => jsonEquals(e, v));
}

/** True when `a` and `b` are both numbers or both strings. */
function sameOrderedType(a: JsonValue, b: JsonValue): boolean {
  return (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string');
}

/** True when `data` satisfies `filter`. */
export function matches(filter: Filter, data: JsonObject): boolean {
  switch (filter.kind) {
    case 'and':
      return filter.filters.every((f) => matches(f, data));
    case 'or':
      return filter.filters.some((f) => matches(f, data));
    case 'not':
      return !matches(filter.filter, data);
    case 'field':
      break;
  }
  const got = getField(data, filter.field);
  const v = filter.value;
  if (filter.op === 'exists') return (got !== MISSING) === (v === true);
  if (got === MISSING) return filter.op === 'ne' || filter.op === 'not_in';
  switch (filter.op) {
    case 'eq':
      return eqHolds(got, v);
    case 'ne':
      return !eqHolds(got, v);
    case 'in':
      return Array.isArray(v) && v.some((e) => eqHolds(got, e));
    case 'not_in':
      return !(Array.isArray(v) && v.some((e) => eqHolds(got, e)));
    case 'lt':
      return sameOrderedType(got, v) && compareValues(got, v) < 0;
    case 'lte':
      return sameOrderedType(got, v) && compareValues(got, v) <= 0;
    case 'gt':
      return sameOrderedType(got, v) && compareValues(got, v) > 0;
    case 'gte':
      return sameOrderedType(got, v) && compareValues(got, v) >= 0;
    case 'contains':
      return typeof got === 'string' && typeof v === 'string' && got.includes(v);
    case 'starts_with':
      return typeof got === 'string' && typeof v === 'string' && got.startsWith(v);
    case 'array_contains':
      return Array.isArray(got) && got.some((e) => jsonEquals(e, v));
  }
  return false;
}
