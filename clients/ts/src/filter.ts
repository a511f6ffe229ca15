/**
 * Builders of typed query filters (the proto smarterbase.v1.Filter tree):
 *
 * ```ts
 * and(eq('status', 'active'), gte('age', 21), not(isIn('role', ['bot', 'test'])))
 * ```
 *
 * The same filter can be written as an expression string instead (see
 * QueryOptions.filterExpression): `status = "active" AND age >= 21`.
 */
import { create, fromJson, type JsonValue } from '@bufbuild/protobuf';
import { ValueSchema } from '@bufbuild/protobuf/wkt';
import { CompositeFilter_Operator, Direction, FieldFilter_Operator, FilterSchema, type Filter } from './gen/smarterbase/v1/query_pb.js';

export type { Filter } from './gen/smarterbase/v1/query_pb.js';

function field(name: string, op: FieldFilter_Operator, value: JsonValue): Filter {
  return create(FilterSchema, { filterType: { case: 'fieldFilter', value: { field: name, op, value: fromJson(ValueSchema, value) } } });
}

/** `field` equals `value` (same type and value; on an array field, any element equal). */
export const eq = (f: string, value: JsonValue): Filter => field(f, FieldFilter_Operator.EQ, value);
/** `field` differs from `value`, or is missing. */
export const ne = (f: string, value: JsonValue): Filter => field(f, FieldFilter_Operator.NE, value);
/** `field` < `value` (numbers with numbers, strings with strings). */
export const lt = (f: string, value: number | string): Filter => field(f, FieldFilter_Operator.LT, value);
/** `field` <= `value`. */
export const lte = (f: string, value: number | string): Filter => field(f, FieldFilter_Operator.LTE, value);
/** `field` > `value`. */
export const gt = (f: string, value: number | string): Filter => field(f, FieldFilter_Operator.GT, value);
/** `field` >= `value`. */
export const gte = (f: string, value: number | string): Filter => field(f, FieldFilter_Operator.GTE, value);
/** `field` equals one of `values` (at most 100). */
export const isIn = (f: string, values: readonly JsonValue[]): Filter => field(f, FieldFilter_Operator.IN, [...values]);
/** `field` equals none of `values`, or is missing. */
export const notIn = (f: string, values: readonly JsonValue[]): Filter => field(f, FieldFilter_Operator.NOT_IN, [...values]);
/** The string `field` contains `substring`. */
export const contains = (f: string, substring: string): Filter => field(f, FieldFilter_Operator.CONTAINS, substring);
/** The array `field` has an element equal to `value`. */
export const arrayContains = (f: string, value: JsonValue): Filter => field(f, FieldFilter_Operator.ARRAY_CONTAINS, value);
/** The string `field` starts with `prefix`. */
export const startsWith = (f: string, prefix: string): Filter => field(f, FieldFilter_Operator.STARTS_WITH, prefix);
/** `field` is present (null counts as present), or absent when `present` is false. */
export const exists = (f: string, present = true): Filter => field(f, FieldFilter_Operator.EXISTS, present);

function composite(op: CompositeFilter_Operator, filters: readonly Filter[]): Filter {
  return create(FilterSchema, { filterType: { case: 'compositeFilter', value: { op, filters: [...filters] } } });
}

/** Every filter holds (1 to 100 of them). */
export const and = (...filters: Filter[]): Filter => composite(CompositeFilter_Operator.AND, filters);
/** At least one filter holds (1 to 100 of them). */
export const or = (...filters: Filter[]): Filter => composite(CompositeFilter_Operator.OR, filters);
/** `filter` does not hold. */
export const not = (filter: Filter): Filter => create(FilterSchema, { filterType: { case: 'notFilter', value: { filter } } });

/** One sort key of a query: a field path, ascending (the default) or descending. */
export interface OrderBy {
  /** The dotted field path. */
  readonly field: string;
  /** Default 'asc'. Missing values sort last either way; ties fall to the id (ascending). */
  readonly direction?: 'asc' | 'desc';
}

/** Ascending on `field`. */
export const asc = (f: string): OrderBy => ({ field: f, direction: 'asc' });
/** Descending on `field`. */
export const desc = (f: string): OrderBy => ({ field: f, direction: 'desc' });

/** The proto order_by terms of OrderBy values (a bare string is ascending). */
export function toProtoOrderBy(terms: readonly (OrderBy | string)[] | undefined): { field: string; direction: Direction }[] {
  return (terms ?? []).map((t) => {
    const o = typeof t === 'string' ? { field: t } : t;
    return { field: o.field, direction: o.direction === 'desc' ? Direction.DESCENDING : Direction.ASCENDING };
  });
}
