/**
 * Proto ⇄ model converters of QueryService and AdminService: request →
 * QueryInput (filter or filter_expression, order_by, limit, offset,
 * start_after, projection), QueryPlan → proto, and proto Index ⇄
 * IndexDefinition / IndexInfo. Shape errors are INVALID_ARGUMENT DbErrors
 * naming the request field; filter errors are INVALID_FILTER.
 */
import { create } from '@bufbuild/protobuf';
import { invalid } from '../../../errors/db-error.js';
import type { Filter, OrderTerm } from '../../../model/filter.js';
import type { IndexDefinition, IndexInfo, IndexKind, IndexState } from '../../../model/index-def.js';
import type { QueryInput, QueryPlan } from '../../../engine/query-api.js';
import { parseFilter } from '../../../query/parse-filter.js';
import {
  Direction,
  QueryPlanSchema,
  type DocumentMask,
  type Filter as ProtoFilter,
  type OrderBy,
  type QueryPlan as ProtoQueryPlan,
} from '../../../gen/smarterbase/v1/query_pb.js';
import { IndexKind as ProtoIndexKind, IndexSchema, IndexState as ProtoIndexState, type Index } from '../../../gen/smarterbase/v1/index_pb.js';
import { filterFromProto, filterToProto } from '../../convert/convert-filter.js';
import { toTimestamp } from '../../convert/convert.js';

/** The most order_by terms of one query. */
export const MAX_ORDER_BY = 8;

/** The filter fields every QueryService request shares. */
interface FilterFields {
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

/** The model sort terms of order_by (DIRECTION_UNSPECIFIED is ascending). */
export function orderFromProto(orderBy: readonly OrderBy[]): OrderTerm[] | undefined {
  if (orderBy.length === 0) return undefined;
  if (orderBy.length > MAX_ORDER_BY) throw invalid('INVALID_ARGUMENT', 'order_by', `at most ${MAX_ORDER_BY} order_by terms, got ${orderBy.length}`);
  return orderBy.map((o, i) => {
    if (o.field === '') throw invalid('INVALID_ARGUMENT', 'order_by', `order_by[${i}].field is required`);
    if (o.direction !== Direction.UNSPECIFIED && o.direction !== Direction.ASCENDING && o.direction !== Direction.DESCENDING) {
      throw invalid('INVALID_ARGUMENT', 'order_by', `order_by[${i}].direction ${o.direction} is unknown`);
    }
    return { field: o.field, direction: o.direction === Direction.DESCENDING ? 'desc' : 'asc' };
  });
}

/** The proto OrderBy terms of model sort terms. */
export function orderToProto(terms: readonly OrderTerm[]): { field: string; direction: Direction }[] {
  return terms.map((t) => ({ field: t.field, direction: t.direction === 'desc' ? Direction.DESCENDING : Direction.ASCENDING }));
}

function nonNegative(value: number, field: string): number | undefined {
  if (value < 0) throw invalid('INVALID_ARGUMENT', field, `${field} must not be negative, got ${value}`);
  return value === 0 ? undefined : value;
}

/** The request fields a QueryInput is built from (QueryRequest; ExplainRequest lacks the last four). */
export interface QueryFields extends FilterFields {
  readonly collection: string;
  readonly orderBy: readonly OrderBy[];
  readonly limit: number;
  readonly offset: number;
  readonly startAfter?: string;
  readonly projection?: DocumentMask;
  readonly requireIndex?: boolean;
}

/** The QueryInput of a QueryRequest or ExplainRequest; unset optional fields are left out. */
export function queryInputFromProto(req: QueryFields): QueryInput {
  const filter = requestFilter(req);
  const orderBy = orderFromProto(req.orderBy);
  const limit = nonNegative(req.limit, 'limit');
  const offset = nonNegative(req.offset, 'offset');
  const paths = req.projection?.fieldPaths ?? [];
  if (paths.some((p) => p === '')) throw invalid('INVALID_ARGUMENT', 'projection', 'projection.field_paths must not contain empty paths');
  return {
    collection: req.collection,
    ...(filter === undefined ? {} : { filter }),
    ...(orderBy === undefined ? {} : { orderBy }),
    ...(limit === undefined ? {} : { limit }),
    ...(offset === undefined ? {} : { offset }),
    ...(req.startAfter ? { startAfter: req.startAfter } : {}),
    ...(paths.length === 0 ? {} : { projection: [...paths] }),
    ...(req.requireIndex ? { requireIndex: true } : {}),
  };
}

/** The proto QueryPlan of a model plan. */
export function planToProto(plan: QueryPlan): ProtoQueryPlan {
  return create(QueryPlanSchema, {
    indexesUsed: [...plan.indexesUsed],
    candidateCount: BigInt(plan.candidateCount),
    storageRequests: BigInt(plan.storageRequests),
    scan: plan.scan,
    sortedByIndex: plan.sortedByIndex,
    residualFilter: plan.residualFilter,
    description: plan.description,
  });
}

const KIND_TO_MODEL: ReadonlyMap<ProtoIndexKind, IndexKind> = new Map([
  [ProtoIndexKind.EQUALITY, 'equality'],
  [ProtoIndexKind.UNIQUE, 'unique'],
  [ProtoIndexKind.ORDERED, 'ordered'],
] as const);
const KIND_TO_PROTO: ReadonlyMap<IndexKind, ProtoIndexKind> = new Map([...KIND_TO_MODEL].map(([p, m]) => [m, p]));
const STATE_TO_PROTO: Readonly<Record<IndexState, ProtoIndexState>> = {
  building: ProtoIndexState.BUILDING,
  ready: ProtoIndexState.READY,
  failed: ProtoIndexState.FAILED,
};

/** The definition in a CreateIndexRequest's index (output-only fields ignored); its rules are the engine's to check. */
export function indexDefinitionFromProto(index: Index | undefined): IndexDefinition {
  if (index === undefined) throw invalid('INVALID_ARGUMENT', 'index', 'index is required');
  const kind = KIND_TO_MODEL.get(index.kind);
  if (kind === undefined) throw invalid('INVALID_ARGUMENT', 'index.kind', 'index.kind must be EQUALITY, UNIQUE or ORDERED');
  return { collection: index.collection, name: index.name, fields: [...index.fields], kind };
}

/** The proto Index of an index with its state. */
export function indexToProto(info: IndexInfo): Index {
  return create(IndexSchema, {
    collection: info.collection,
    name: info.name,
    fields: [...info.fields],
    kind: KIND_TO_PROTO.get(info.kind) ?? ProtoIndexKind.UNSPECIFIED,
    state: STATE_TO_PROTO[info.state] ?? ProtoIndexState.UNSPECIFIED,
    documentsScanned: BigInt(info.documentsScanned),
    createTime: toTimestamp(info.createTime),
    error: info.error ?? '',
  });
}

export { filterFromProto, filterToProto };
