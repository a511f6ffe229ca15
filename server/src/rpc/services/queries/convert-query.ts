/**
 * Proto ⇄ model converters of QueryService: request → QueryInput (filter or
 * filter_expression through rpc/convert/convert-filter.ts, order_by, limit,
 * offset, start_after, projection) and QueryPlan → proto. Shape errors are
 * INVALID_ARGUMENT DbErrors naming the request field; filter errors are
 * INVALID_FILTER.
 */
import { create } from '@bufbuild/protobuf';
import { invalid } from '../../../errors/db-error.js';
import type { OrderTerm } from '../../../model/filter.js';
import type { QueryInput, QueryPlan } from '../../../api/query-api.js';
import {
  Direction,
  QueryPlanSchema,
  type DocumentMask,
  type OrderBy,
  type QueryPlan as ProtoQueryPlan,
} from '../../../gen/smarterbase/v1/query_pb.js';
import { requestFilter, type FilterFields } from '../../convert/convert-filter.js';

/** The most order_by terms of one query. */
export const MAX_ORDER_BY = 8;

/** The model sort terms of order_by (DIRECTION_UNSPECIFIED is ascending). */
export function orderFromProto(orderBy: readonly OrderBy[]): OrderTerm[] | undefined {
  if (orderBy.length === 0) return undefined;
  if (orderBy.length > MAX_ORDER_BY)
    throw invalid('INVALID_ARGUMENT', 'order_by', `at most ${MAX_ORDER_BY} order_by terms, got ${orderBy.length}`);
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
