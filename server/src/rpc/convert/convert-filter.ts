/**
 * Proto Filter ⇄ model Filter (server/src/model/filter.ts), and
 * google.protobuf.Value ⇄ JsonValue. A typed filter that is malformed in its
 * shape (unset oneof, unspecified operator, missing or ill-typed operand,
 * wrong number of sub-filters) is an INVALID_ARGUMENT / INVALID_FILTER
 * naming the request field `filter`; the message says where in the tree.
 * The limits are the engine's (query/validate-filter.ts), checked during the
 * one walk that converts the tree, which stops at the first node past one.
 * requestFilter is the one place a request's filter becomes a model Filter:
 * the typed tree here, or filter_expression through the query engine's
 * parser (query/parse-filter.ts).
 */
import { create } from '@bufbuild/protobuf';
import { ValueSchema, type Value } from '@bufbuild/protobuf/wkt';
import { DbError, invalid } from '../../errors/db-error.js';
import type { FieldOp, Filter } from '../../model/filter.js';
import { setJsonProperty, type JsonObject, type JsonValue } from '../../model/json.js';
import { parseFilter } from '../../query/parse-filter.js';
import {
  filterTooDeep,
  filterTooManyTerms,
  MAX_COMPOSITE_CHILDREN,
  MAX_FILTER_TERMS,
  MAX_FILTER_DEPTH as ENGINE_MAX_FILTER_DEPTH,
  MAX_IN_VALUES,
} from '../../query/validate-filter.js';
import {
  CompositeFilter_Operator,
  FieldFilter_Operator,
  FilterSchema,
  type Filter as ProtoFilter,
} from '../../gen/smarterbase/v1/query_pb.js';

/** The most sub-filters of one AND / OR (the engine's MAX_COMPOSITE_CHILDREN; IN / NOT_IN take MAX_IN_VALUES). */
export const MAX_FILTER_FANOUT = MAX_COMPOSITE_CHILDREN;
/** The deepest nesting of AND / OR / NOT accepted (the engine's MAX_FILTER_DEPTH; keeps recursion bounded). */
export const MAX_FILTER_DEPTH = ENGINE_MAX_FILTER_DEPTH;

/** proto FieldFilter.Operator → model FieldOp. */
const OP_TO_MODEL: ReadonlyMap<FieldFilter_Operator, FieldOp> = new Map([
  [FieldFilter_Operator.EQ, 'eq'],
  [FieldFilter_Operator.NE, 'ne'],
  [FieldFilter_Operator.LT, 'lt'],
  [FieldFilter_Operator.LTE, 'lte'],
  [FieldFilter_Operator.GT, 'gt'],
  [FieldFilter_Operator.GTE, 'gte'],
  [FieldFilter_Operator.IN, 'in'],
  [FieldFilter_Operator.NOT_IN, 'not_in'],
  [FieldFilter_Operator.CONTAINS, 'contains'],
  [FieldFilter_Operator.ARRAY_CONTAINS, 'array_contains'],
  [FieldFilter_Operator.STARTS_WITH, 'starts_with'],
  [FieldFilter_Operator.EXISTS, 'exists'],
] as const);

const OP_TO_PROTO: ReadonlyMap<FieldOp, FieldFilter_Operator> = new Map([...OP_TO_MODEL].map(([p, m]) => [m, p]));

/** An INVALID_FILTER error on request field `filter`; `where` locates the fault in the tree. */
export function invalidFilter(where: string, message: string): DbError {
  return new DbError('invalid', 'INVALID_FILTER', `${where}: ${message}`, { field: 'filter', metadata: { field: 'filter' } });
}

/** A google.protobuf.Value as JSON; undefined when its kind is unset or a number is not finite. */
export function valueToJson(v: Value): JsonValue | undefined {
  switch (v.kind.case) {
    case 'nullValue':
      return null;
    case 'boolValue':
    case 'stringValue':
      return v.kind.value;
    case 'numberValue':
      return Number.isFinite(v.kind.value) ? v.kind.value : undefined;
    case 'listValue': {
      const out: JsonValue[] = [];
      for (const item of v.kind.value.values) {
        const j = valueToJson(item);
        if (j === undefined) return undefined;
        out.push(j);
      }
      return out;
    }
    case 'structValue': {
      const out: JsonObject = {};
      for (const [k, item] of Object.entries(v.kind.value.fields)) {
        const j = valueToJson(item);
        if (j === undefined) return undefined;
        setJsonProperty(out, k, j);
      }
      return out;
    }
    default:
      return undefined;
  }
}

/** JSON as a google.protobuf.Value. */
export function jsonToValue(j: JsonValue): Value {
  if (j === null) return create(ValueSchema, { kind: { case: 'nullValue', value: 0 } });
  if (typeof j === 'boolean') return create(ValueSchema, { kind: { case: 'boolValue', value: j } });
  if (typeof j === 'number') return create(ValueSchema, { kind: { case: 'numberValue', value: j } });
  if (typeof j === 'string') return create(ValueSchema, { kind: { case: 'stringValue', value: j } });
  if (Array.isArray(j)) return create(ValueSchema, { kind: { case: 'listValue', value: { values: j.map(jsonToValue) } } });
  const fields: Record<string, Value> = {};
  for (const [k, v] of Object.entries(j)) {
    Object.defineProperty(fields, k, { value: jsonToValue(v), enumerable: true, writable: true, configurable: true });
  }
  return create(ValueSchema, { kind: { case: 'structValue', value: { fields } } });
}

/** Checks the operand's type against what the operator needs. */
function checkOperand(where: string, op: FieldOp, value: JsonValue): void {
  switch (op) {
    case 'in':
    case 'not_in':
      if (!Array.isArray(value)) throw invalidFilter(where, `${op} needs a list value`);
      if (value.length > MAX_IN_VALUES) throw invalidFilter(where, `${op} takes at most ${MAX_IN_VALUES} values, got ${value.length}`);
      return;
    case 'exists':
      if (typeof value !== 'boolean') throw invalidFilter(where, 'exists needs a bool value');
      return;
    case 'contains':
    case 'starts_with':
      if (typeof value !== 'string') throw invalidFilter(where, `${op} needs a string value`);
      return;
    default:
      return;
  }
}

/** How many comparisons a conversion has met so far (MAX_FILTER_TERMS applies to the whole tree). */
interface TermCount {
  terms: number;
}

/** The model Filter of a proto Filter; throws INVALID_FILTER on a malformed tree. */
export function filterFromProto(f: ProtoFilter, where = 'filter', depth = 0, count: TermCount = { terms: 0 }): Filter {
  if (depth > MAX_FILTER_DEPTH) throw filterTooDeep('filter', {}, `${where}: filters nest at most ${MAX_FILTER_DEPTH} levels`);
  const t = f.filterType;
  switch (t.case) {
    case 'fieldFilter': {
      const at = `${where}.field_filter`;
      if (++count.terms > MAX_FILTER_TERMS) throw filterTooManyTerms('filter', {}, `${at}: `);
      const ff = t.value;
      if (ff.field === '') throw invalidFilter(at, 'field is required');
      const op = OP_TO_MODEL.get(ff.op);
      if (op === undefined) throw invalidFilter(at, `op is required (got ${FieldFilter_Operator[ff.op] ?? ff.op})`);
      const value = ff.value === undefined ? undefined : valueToJson(ff.value);
      if (value === undefined) throw invalidFilter(at, 'value is required (a JSON value with finite numbers)');
      checkOperand(at, op, value);
      return { kind: 'field', field: ff.field, op, value };
    }
    case 'compositeFilter': {
      const at = `${where}.composite_filter`;
      const cf = t.value;
      if (cf.op !== CompositeFilter_Operator.AND && cf.op !== CompositeFilter_Operator.OR) throw invalidFilter(at, 'op must be AND or OR');
      if (cf.filters.length === 0 || cf.filters.length > MAX_FILTER_FANOUT) {
        throw invalidFilter(at, `needs 1 to ${MAX_FILTER_FANOUT} filters, got ${cf.filters.length}`);
      }
      const filters = cf.filters.map((sub, i) => filterFromProto(sub, `${at}.filters[${i}]`, depth + 1, count));
      return { kind: cf.op === CompositeFilter_Operator.AND ? 'and' : 'or', filters };
    }
    case 'notFilter': {
      const at = `${where}.not_filter`;
      if (t.value.filter === undefined) throw invalidFilter(at, 'filter is required');
      return { kind: 'not', filter: filterFromProto(t.value.filter, `${at}.filter`, depth + 1, count) };
    }
    default:
      throw invalidFilter(where, 'one of field_filter, composite_filter or not_filter must be set');
  }
}

/** The proto Filter of a model Filter. */
export function filterToProto(f: Filter): ProtoFilter {
  switch (f.kind) {
    case 'field':
      return create(FilterSchema, {
        filterType: {
          case: 'fieldFilter',
          value: { field: f.field, op: OP_TO_PROTO.get(f.op) ?? FieldFilter_Operator.UNSPECIFIED, value: jsonToValue(f.value) },
        },
      });
    case 'and':
    case 'or':
      return create(FilterSchema, {
        filterType: {
          case: 'compositeFilter',
          value: {
            op: f.kind === 'and' ? CompositeFilter_Operator.AND : CompositeFilter_Operator.OR,
            filters: f.filters.map(filterToProto),
          },
        },
      });
    case 'not':
      return create(FilterSchema, { filterType: { case: 'notFilter', value: { filter: filterToProto(f.filter) } } });
  }
}

/** The filter fields every QueryService request shares. */
export interface FilterFields {
  readonly filter?: ProtoFilter;
  readonly filterExpression: string;
}

/**
 * The model filter of a request: the typed `filter`, or `filter_expression`
 * parsed by the query engine's parser (its errors carry the position), or
 * undefined when neither is set. Both set is INVALID_ARGUMENT.
 */
export function requestFilter(req: FilterFields): Filter | undefined {
  const hasExpression = req.filterExpression.trim() !== '';
  if (req.filter !== undefined && hasExpression) {
    throw invalid('INVALID_ARGUMENT', 'filter_expression', 'set at most one of filter and filter_expression');
  }
  if (req.filter !== undefined) return filterFromProto(req.filter);
  if (hasExpression) return parseFilter(req.filterExpression);
  return undefined;
}
