import { create, toJson } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, createRouterTransport, type ServiceImpl } from '@connectrpc/connect';
import { IndexBuildError } from './admin.js';
import { createClient } from './client.js';
import { SmarterBaseError } from './errors.js';
import { and, arrayContains, asc, contains, desc, eq, exists, gt, gte, isIn, lt, lte, ne, not, notIn, or, startsWith } from './filter.js';
import { BadRequestSchema, ErrorInfoSchema } from './gen/google/rpc/error_details_pb.js';
import { AdminService } from './gen/smarterbase/v1/admin_service_pb.js';
import { DocumentSchema } from './gen/smarterbase/v1/document_pb.js';
import { IndexKind, IndexState, type Index } from './gen/smarterbase/v1/index_pb.js';
import { FilterSchema } from './gen/smarterbase/v1/query_pb.js';
import { QueryService, type QueryRequest } from './gen/smarterbase/v1/query_service_pb.js';

const doc = (n: number) =>
  create(DocumentSchema, {
    collection: 'c',
    id: `d${n}`,
    data: { n },
    etag: `e${n}`,
    version: 1n,
    createTime: timestampFromMs(1000),
    updateTime: timestampFromMs(2000),
  });

function setup() {
  const requests: QueryRequest[] = [];
  const seen = { aborted: false, sent: 0 };
  const indexes = new Map<string, Index>();
  let polls = 0;
  const query: Partial<ServiceImpl<typeof QueryService>> = {
    async *query(req, ctx) {
      requests.push(req);
      if (req.filterExpression === 'n >') {
        throw new ConnectError('expected a value at 3', Code.InvalidArgument, undefined, [
          {
            desc: ErrorInfoSchema,
            value: { reason: 'INVALID_FILTER', domain: 'smarterbase.v1', metadata: { field: 'filter_expression', position: '3' } },
          },
          { desc: BadRequestSchema, value: { fieldViolations: [{ field: 'filter_expression', description: 'expected a value at 3' }] } },
        ]);
      }
      ctx.signal.addEventListener('abort', () => {
        seen.aborted = true;
      });
      const n = req.collection === 'endless' ? 1_000_000 : 3;
      for (let i = 1; i <= n; i++) {
        seen.sent++;
        if (req.collection === 'endless') await new Promise((r) => setTimeout(r, 2));
        yield { document: doc(i), resumeToken: `t${i}`, skippedResults: BigInt(i - 1) };
      }
      yield { done: true, resumeToken: `t${n}`, skippedResults: 7n };
    },
    count: (req) => ({ count: req.requireIndex ? 5n : 6n, storageRequests: 0n }),
    explain: () => ({
      plan: {
        indexesUsed: ['by_n'],
        candidateCount: 9n,
        storageRequests: 9n,
        scan: false,
        sortedByIndex: true,
        residualFilter: 's = "a"',
        description: 'walk',
      },
    }),
  };
  const admin: Partial<ServiceImpl<typeof AdminService>> = {
    createIndex: (req) => {
      const i = {
        ...req.index!,
        state: req.index!.name === 'bad' ? IndexState.FAILED : IndexState.BUILDING,
        error: req.index!.name === 'bad' ? 'duplicate values' : '',
        createTime: timestampFromMs(5000),
      };
      indexes.set(i.name, i as Index);
      return { index: i };
    },
    getIndex: (req) => {
      const i = indexes.get(req.name);
      if (!i)
        throw new ConnectError('no index', Code.NotFound, undefined, [
          { desc: ErrorInfoSchema, value: { reason: 'INDEX_NOT_FOUND', domain: 'smarterbase.v1', metadata: {} } },
        ]);
      if (i.name === 'slow' || i.name === 'bad') return { index: i };
      if (++polls >= 3) i.state = IndexState.READY;
      return { index: i };
    },
    listIndexes: () => ({ indexes: [...indexes.values()] }),
    dropIndex: (req) => {
      indexes.delete(req.name);
      return {};
    },
  };
  const transport = createRouterTransport((r) => {
    r.service(QueryService, query);
    r.service(AdminService, admin);
  });
  return { requests, seen, indexes, polls: () => polls, db: createClient({ transport }) };
}

describe('filter builders', () => {
  test('produce the proto tree, with JSON operands as google.protobuf.Value', () => {
    const f = and(eq('status', 'active'), gte('age', 21), or(isIn('role', ['a', 1]), not(exists('deleted'))), notIn('x', [null]));
    expect(toJson(FilterSchema, f)).toEqual({
      compositeFilter: {
        op: 'OPERATOR_AND',
        filters: [
          { fieldFilter: { field: 'status', op: 'OPERATOR_EQ', value: 'active' } },
          { fieldFilter: { field: 'age', op: 'OPERATOR_GTE', value: 21 } },
          {
            compositeFilter: {
              op: 'OPERATOR_OR',
              filters: [
                { fieldFilter: { field: 'role', op: 'OPERATOR_IN', value: ['a', 1] } },
                { notFilter: { filter: { fieldFilter: { field: 'deleted', op: 'OPERATOR_EXISTS', value: true } } } },
              ],
            },
          },
          { fieldFilter: { field: 'x', op: 'OPERATOR_NOT_IN', value: [null] } },
        ],
      },
    });
    const ops = [
      ne('a', 1),
      lt('a', 1),
      lte('a', 'b'),
      gt('a', 2),
      contains('s', 'x'),
      arrayContains('t', { k: 1 }),
      startsWith('s', 'p'),
      exists('e', false),
    ]
      .map((x) => toJson(FilterSchema, x) as { fieldFilter: { op: string; value: unknown } })
      .map((x) => [x.fieldFilter.op, x.fieldFilter.value]);
    expect(ops).toEqual([
      ['OPERATOR_NE', 1],
      ['OPERATOR_LT', 1],
      ['OPERATOR_LTE', 'b'],
      ['OPERATOR_GT', 2],
      ['OPERATOR_CONTAINS', 'x'],
      ['OPERATOR_ARRAY_CONTAINS', { k: 1 }],
      ['OPERATOR_STARTS_WITH', 'p'],
      ['OPERATOR_EXISTS', false],
    ]);
  });
});

describe('query()', () => {
  test('sends every option and streams documents with resume token, skipped count and done', async () => {
    const { db, requests } = setup();
    const stream = db.query<{ n: number }>('c', {
      filter: eq('s', 'a'),
      orderBy: ['n', desc('m'), asc('k')],
      limit: 3,
      offset: 2,
      startAfter: 'tok',
      projection: ['n'],
      requireIndex: true,
    });
    expect(requests).toEqual([]); // lazy: nothing sent before iteration
    const got: number[] = [];
    for await (const d of stream) {
      got.push(d.data.n);
      expect(stream.resumeToken).toBe(`t${d.data.n}`);
    }
    expect(got).toEqual([1, 2, 3]);
    expect([stream.done, stream.skippedResults, stream.resumeToken]).toEqual([true, 7, 't3']);
    const r = requests[0]!;
    expect([r.collection, r.limit, r.offset, r.startAfter, r.projection?.fieldPaths, r.requireIndex, r.filterExpression]).toEqual([
      'c',
      3,
      2,
      'tok',
      ['n'],
      true,
      '',
    ]);
    expect(r.orderBy.map((o) => [o.field, o.direction])).toEqual([
      ['n', 1],
      ['m', 2],
      ['k', 1],
    ]);
    expect(toJson(FilterSchema, r.filter!)).toEqual({ fieldFilter: { field: 's', op: 'OPERATOR_EQ', value: 'a' } });
    await expect(stream.toArray()).rejects.toThrow(/only once/);
  });

  test('an expression filter is sent as filter_expression; its parse error is a SmarterBaseError with the position', async () => {
    const { db, requests } = setup();
    const e = await db
      .query('c', { filterExpression: 'n >' })
      .toArray()
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SmarterBaseError);
    const err = e as SmarterBaseError;
    expect([err.code, err.reason, err.metadata['position'], err.fieldViolations[0]?.field]).toEqual([
      Code.InvalidArgument,
      'INVALID_FILTER',
      '3',
      'filter_expression',
    ]);
    expect(requests[0]!.filter).toBeUndefined();
  });

  test('breaking out of the loop cancels the call', async () => {
    const { db, seen } = setup();
    let n = 0;
    for await (const _ of db.query('endless')) if (++n === 5) break;
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.aborted).toBe(true);
    expect(seen.sent).toBeLessThan(50);
  });

  test('count() and explain() return plain numbers', async () => {
    const { db } = setup();
    expect(await db.count('c', { filterExpression: 'n > 1', requireIndex: true })).toEqual({ count: 5, storageRequests: 0 });
    expect(await db.count('c')).toEqual({ count: 6, storageRequests: 0 });
    expect(await db.explain('c', { filter: gt('n', 1), orderBy: ['n'] })).toEqual({
      indexesUsed: ['by_n'],
      candidateCount: 9,
      storageRequests: 9,
      scan: false,
      sortedByIndex: true,
      residualFilter: 's = "a"',
      description: 'walk',
    });
  });
});

describe('index administration', () => {
  test('create, get, list, drop; INDEX_NOT_FOUND is a SmarterBaseError', async () => {
    const { db, indexes } = setup();
    const created = await db.createIndex({ collection: 'c', name: 'by_n', fields: ['n'], kind: 'ordered' });
    expect(created).toEqual({
      collection: 'c',
      name: 'by_n',
      fields: ['n'],
      kind: 'ordered',
      hashValues: false,
      state: 'building',
      documentsScanned: 0,
      createTime: new Date(5000),
      error: '',
    });
    expect(indexes.get('by_n')!.kind).toBe(IndexKind.ORDERED);
    await db.createIndex({ collection: 'c', name: 'u', fields: ['e'], kind: 'unique', hashValues: true });
    expect(indexes.get('u')!.hashValues).toBe(true);
    expect((await db.listIndexes('c')).map((i) => [i.name, i.kind, i.hashValues])).toEqual([
      ['by_n', 'ordered', false],
      ['u', 'unique', true],
    ]);
    await db.dropIndex('c', 'u');
    const e = await db.getIndex('c', 'u').catch((x: unknown) => x);
    expect([(e as SmarterBaseError).code, (e as SmarterBaseError).reason]).toEqual([Code.NotFound, 'INDEX_NOT_FOUND']);
    await expect(db.createIndex({ collection: 'c', name: 'x', fields: ['e'], kind: 'bogus' as 'unique' })).rejects.toThrow(/index kind/);
  });

  test('waitForIndexReady polls until READY, rejects on FAILED and on timeout', async () => {
    const { db, polls } = setup();
    await db.createIndex({ collection: 'c', name: 'by_n', fields: ['n'], kind: 'ordered' });
    expect((await db.waitForIndexReady('c', 'by_n', { pollMs: 5 })).state).toBe('ready');
    expect(polls()).toBe(3);
    await db.createIndex({ collection: 'c', name: 'bad', fields: ['n'], kind: 'unique' });
    const failed = await db.waitForIndexReady('c', 'bad', { pollMs: 5 }).catch((x: unknown) => x);
    expect(failed).toBeInstanceOf(IndexBuildError);
    expect((failed as IndexBuildError).index.error).toBe('duplicate values');
    await db.createIndex({ collection: 'c', name: 'slow', fields: ['n'], kind: 'equality' });
    const started = Date.now();
    await expect(db.waitForIndexReady('c', 'slow', { pollMs: 10, timeoutMs: 60 })).rejects.toThrow(
      /not ready within 60 ms \(state building/,
    );
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
