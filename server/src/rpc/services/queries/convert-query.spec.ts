import { create } from '@bufbuild/protobuf';
import { isDbError } from '../../../errors/db-error.js';
import { Direction, FieldFilter_Operator, FilterSchema } from '../../../gen/smarterbase/v1/query_pb.js';
import { QueryRequestSchema } from '../../../gen/smarterbase/v1/query_service_pb.js';
import { jsonToValue, requestFilter } from '../../convert/convert-filter.js';
import { orderFromProto, orderToProto, planToProto, queryInputFromProto } from './convert-query.js';

const eqFilter = create(FilterSchema, {
  filterType: { case: 'fieldFilter', value: { field: 's', op: FieldFilter_Operator.EQ, value: jsonToValue('a') } },
});

function errorOf(f: () => unknown): { reason: string; field?: string; message: string } {
  try {
    f();
  } catch (e) {
    if (isDbError(e)) return { reason: e.reason, field: e.field, message: e.message };
    throw e;
  }
  throw new Error('expected a DbError');
}

describe('query request conversion', () => {
  test('an empty request has only the collection', () => {
    expect(queryInputFromProto(create(QueryRequestSchema, { collection: 'c' }))).toEqual({ collection: 'c' });
  });

  test('every field is carried over', () => {
    const req = create(QueryRequestSchema, {
      collection: 'c',
      filter: eqFilter,
      orderBy: [{ field: 'n', direction: Direction.DESCENDING }, { field: 'm' }, { field: 'k', direction: Direction.ASCENDING }],
      limit: 3,
      offset: 4,
      startAfter: 'tok',
      projection: { fieldPaths: ['a', 'b.c'] },
      requireIndex: true,
    });
    expect(queryInputFromProto(req)).toEqual({
      collection: 'c',
      filter: { kind: 'field', field: 's', op: 'eq', value: 'a' },
      orderBy: [
        { field: 'n', direction: 'desc' },
        { field: 'm', direction: 'asc' },
        { field: 'k', direction: 'asc' },
      ],
      limit: 3,
      offset: 4,
      startAfter: 'tok',
      projection: ['a', 'b.c'],
      requireIndex: true,
    });
  });

  test('filter and filter_expression together are INVALID_ARGUMENT; a blank expression is no filter', () => {
    expect(errorOf(() => requestFilter({ filter: eqFilter, filterExpression: 'a = 1' }))).toMatchObject({
      reason: 'INVALID_ARGUMENT',
      field: 'filter_expression',
    });
    expect(requestFilter({ filterExpression: '   ' })).toBeUndefined();
    expect(requestFilter({ filterExpression: '' })).toBeUndefined();
  });

  test('shape errors name their field', () => {
    expect(errorOf(() => queryInputFromProto(create(QueryRequestSchema, { collection: 'c', limit: -1 })))).toMatchObject({
      reason: 'INVALID_ARGUMENT',
      field: 'limit',
    });
    expect(errorOf(() => queryInputFromProto(create(QueryRequestSchema, { collection: 'c', offset: -2 })))).toMatchObject({
      reason: 'INVALID_ARGUMENT',
      field: 'offset',
    });
    expect(
      errorOf(() => orderFromProto(Array.from({ length: 9 }, () => create(QueryRequestSchema, { orderBy: [{ field: 'n' }] }).orderBy[0]!))),
    ).toMatchObject({ reason: 'INVALID_ARGUMENT', field: 'order_by', message: 'at most 8 order_by terms, got 9' });
    expect(errorOf(() => orderFromProto(create(QueryRequestSchema, { orderBy: [{ field: '' }] }).orderBy))).toMatchObject({
      field: 'order_by',
    });
    expect(
      errorOf(() => queryInputFromProto(create(QueryRequestSchema, { collection: 'c', projection: { fieldPaths: [''] } }))),
    ).toMatchObject({ field: 'projection' });
    expect(errorOf(() => queryInputFromProto(create(QueryRequestSchema, { collection: 'c', filter: create(FilterSchema) })))).toMatchObject(
      { reason: 'INVALID_FILTER', field: 'filter' },
    );
  });

  test('order terms round-trip', () => {
    const terms = [
      { field: 'a', direction: 'desc' as const },
      { field: 'b', direction: 'asc' as const },
    ];
    expect(orderFromProto(orderToProto(terms).map((t) => create(QueryRequestSchema, { orderBy: [t] }).orderBy[0]!))).toEqual(terms);
  });

  test('plans convert to proto', () => {
    expect(
      planToProto({
        indexesUsed: ['by_n'],
        candidateCount: 7,
        storageRequests: 3,
        scan: false,
        sortedByIndex: true,
        residualFilter: 'x = 1',
        description: 'd',
      }),
    ).toMatchObject({
      indexesUsed: ['by_n'],
      candidateCount: 7n,
      storageRequests: 3n,
      scan: false,
      sortedByIndex: true,
      residualFilter: 'x = 1',
      description: 'd',
    });
  });
});
