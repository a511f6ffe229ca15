/**
 * QueryService and AdminService through a real RpcServer (both ports: gRPC
 * to grpc-js, Connect JSON over HTTP/1.1) with fake engines: streaming,
 * request translation, the error table for the new reasons, cancellation
 * reaching the engine, health, reflection via grpcurl, and UNIMPLEMENTED
 * when the server is built without the query engines.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient, type Client, type Transport } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { DocumentEngine } from '../../server/src/engine/document-engine.js';
import type { DocumentApi } from '../../server/src/api/document-api.js';
import { DbError } from '../../server/src/errors/db-error.js';
import { BadRequestSchema, ErrorInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import { Health, HealthCheckResponse_ServingStatus } from '../../server/src/gen/grpc/health/v1/health_pb.js';
import { AdminService } from '../../server/src/gen/smarterbase/v1/admin_service_pb.js';
import { DocumentService } from '../../server/src/gen/smarterbase/v1/document_service_pb.js';
import { IndexKind, IndexState } from '../../server/src/gen/smarterbase/v1/index_pb.js';
import { Direction, FieldFilter_Operator, FilterSchema } from '../../server/src/gen/smarterbase/v1/query_pb.js';
import { QueryService } from '../../server/src/gen/smarterbase/v1/query_service_pb.js';
import { RpcServer } from '../../server/src/rpc/server/rpc-server.js';
import { jsonToValue } from '../../server/src/rpc/convert/convert-filter.js';
import { MemoryBlobStore } from '../../server/src/storage/memory/memory-store.js';
import { fakeAdminApi, fakeQueryApi, type EndlessState, type FakeCall } from './query-fakes.js';
import { LocalCoordinator } from '../../server/src/coordination/local/local-coordinator.js';

const grpcurlBin = join(__dirname, '..', '..', '.tools', 'bin', 'grpcurl');
function grpcurl(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(grpcurlBin, args, { timeout: 20000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: stdout, err: stderr });
    });
  });
}

/** The document engine, except that id "dup" fails with UNIQUE_VIOLATION as the index hooks would. */
function uniqueOnDup(api: DocumentApi): DocumentApi {
  return new Proxy(api, {
    get(target, prop, receiver) {
      if (prop !== 'put') return Reflect.get(target, prop, receiver);
      return async (...args: Parameters<DocumentApi['put']>) => {
        if (args[1].id === 'dup') {
          throw new DbError('already_exists', 'UNIQUE_VIOLATION', 'email is taken', {
            metadata: { collection: args[1].collection, index: 'by_email', conflictingId: 'other' },
          });
        }
        return target.put(...args);
      };
    },
  });
}

const calls: FakeCall[] = [];
const endless: EndlessState = { produced: 0, closed: false, aborted: false };
let server: RpcServer;
let bare: RpcServer;
let grpcPort: number;
let transports: Record<'grpc' | 'connect', Transport>;
let bareTransports: Record<'grpc' | 'connect', Transport>;

function both(grpcP: number, httpP: number): Record<'grpc' | 'connect', Transport> {
  return {
    grpc: createGrpcTransport({ baseUrl: `http://127.0.0.1:${grpcP}` }),
    connect: createConnectTransport({ baseUrl: `http://127.0.0.1:${httpP}`, httpVersion: '1.1' }),
  };
}

beforeAll(async () => {
  server = new RpcServer({
    api: uniqueOnDup(new DocumentEngine({ coordinator: new LocalCoordinator(), store: new MemoryBlobStore() })),
    query: fakeQueryApi(calls, endless),
    admin: fakeAdminApi(calls),
    grpcPort: 0,
    httpPort: 0,
  });
  const ports = await server.start();
  grpcPort = ports.grpcPort;
  transports = both(ports.grpcPort, ports.httpPort);
  bare = new RpcServer({
    api: new DocumentEngine({ coordinator: new LocalCoordinator(), store: new MemoryBlobStore() }),
    grpcPort: 0,
    httpPort: 0,
  });
  const bp = await bare.start();
  bareTransports = both(bp.grpcPort, bp.httpPort);
});
afterAll(async () => {
  await server.shutdown(500);
  await bare.shutdown(500);
});

async function caught(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error('expected an error');
}
const reasonOf = (e: ConnectError): string | undefined => e.findDetails(ErrorInfoSchema)[0]?.reason;
const metadataOf = (e: ConnectError): Record<string, string> => e.findDetails(ErrorInfoSchema)[0]?.metadata ?? {};

describe.each(['grpc', 'connect'] as const)('over %s', (kind) => {
  let query: Client<typeof QueryService>;
  let admin: Client<typeof AdminService>;
  beforeAll(() => {
    query = createClient(QueryService, transports[kind]);
    admin = createClient(AdminService, transports[kind]);
  });

  test('Query streams one message per document, then done with the summary', async () => {
    calls.length = 0;
    const msgs = [];
    const filter = create(FilterSchema, {
      filterType: { case: 'fieldFilter', value: { field: 'n', op: FieldFilter_Operator.GT, value: jsonToValue(0) } },
    });
    for await (const m of query.query({
      collection: 'c',
      filter,
      orderBy: [{ field: 'n', direction: Direction.ASCENDING }],
      offset: 3,
      limit: 3,
      projection: { fieldPaths: ['n'] },
    }))
      msgs.push(m);
    expect(msgs.map((m) => [m.document?.id, m.document?.data, m.resumeToken, m.skippedResults, m.done])).toEqual([
      ['d04', { n: 4 }, 'tok-d04', 0n, false],
      ['d05', { n: 5 }, 'tok-d05', 1n, false],
      ['d06', { n: 6 }, 'tok-d06', 1n, false],
      [undefined, undefined, 'tok-d06', 6n, true],
    ]);
    expect(calls.map((c) => [c.method, c.args[0]])).toEqual([
      [
        'query',
        {
          collection: 'c',
          filter: { kind: 'field', field: 'n', op: 'gt', value: 0 },
          orderBy: [{ field: 'n', direction: 'asc' }],
          limit: 3,
          offset: 3,
          projection: ['n'],
        },
      ],
    ]);
  });

  test('Count and Explain', async () => {
    calls.length = 0;
    expect(await query.count({ collection: 'c', requireIndex: true })).toMatchObject({ count: 42n, storageRequests: 0n });
    const plan = (await query.explain({ collection: 'c', orderBy: [{ field: 'n', direction: Direction.DESCENDING }], limit: 5 })).plan;
    expect(plan).toMatchObject({
      indexesUsed: ['by_n'],
      candidateCount: 10n,
      storageRequests: 3n,
      scan: false,
      sortedByIndex: true,
      description: 'ordered walk of by_n',
    });
    expect(calls.map((c) => [c.method, c.args[0]])).toEqual([
      ['count', { collection: 'c', requireIndex: true }],
      ['explain', { collection: 'c', orderBy: [{ field: 'n', direction: 'desc' }], limit: 5 }],
    ]);
  });

  test('AdminService: create, get, list, drop; INDEX_ALREADY_EXISTS and INDEX_NOT_FOUND', async () => {
    const coll = `adm-${kind}`;
    const created = (
      await admin.createIndex({
        index: { collection: coll, name: 'by_n', fields: ['n'], kind: IndexKind.ORDERED, state: IndexState.READY },
      })
    ).index;
    expect(created).toMatchObject({
      collection: coll,
      name: 'by_n',
      fields: ['n'],
      kind: IndexKind.ORDERED,
      state: IndexState.BUILDING,
      documentsScanned: 0n,
    });
    await new Promise((r) => setTimeout(r, 40));
    expect((await admin.getIndex({ collection: coll, name: 'by_n' })).index).toMatchObject({
      state: IndexState.READY,
      documentsScanned: 10n,
    });
    await admin.createIndex({ index: { collection: coll, name: 'by_s', fields: ['s'], kind: IndexKind.EQUALITY } });
    expect((await admin.listIndexes({ collection: coll })).indexes.map((i) => i.name)).toEqual(['by_n', 'by_s']);
    const dup = await caught(admin.createIndex({ index: { collection: coll, name: 'by_n', fields: ['m'], kind: IndexKind.ORDERED } }));
    expect([dup.code, reasonOf(dup), metadataOf(dup)]).toEqual([
      Code.AlreadyExists,
      'INDEX_ALREADY_EXISTS',
      { collection: coll, index: 'by_n' },
    ]);
    await admin.dropIndex({ collection: coll, name: 'by_n' });
    const gone = await caught(admin.getIndex({ collection: coll, name: 'by_n' }));
    expect([gone.code, reasonOf(gone), metadataOf(gone)]).toEqual([Code.NotFound, 'INDEX_NOT_FOUND', { collection: coll, index: 'by_n' }]);
    expect((await caught(admin.dropIndex({ collection: coll, name: 'by_n' }))).code).toBe(Code.NotFound);
    const noKind = await caught(admin.createIndex({ index: { collection: coll, name: 'x', fields: ['s'] } }));
    expect([noKind.code, reasonOf(noKind), noKind.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field]).toEqual([
      Code.InvalidArgument,
      'INVALID_ARGUMENT',
      'index.kind',
    ]);
  });

  test('INDEX_REQUIRED → FAILED_PRECONDITION, on Query (before any message) and Count', async () => {
    const q = await caught(
      (async () => {
        for await (const _ of query.query({ collection: 'needs-index', requireIndex: true })) {
          /* none */
        }
      })(),
    );
    expect([q.code, reasonOf(q), metadataOf(q)]).toEqual([
      Code.FailedPrecondition,
      'INDEX_REQUIRED',
      { collection: 'needs-index', suggestedIndex: 'n:ordered' },
    ]);
    const c = await caught(query.count({ collection: 'needs-index', requireIndex: true }));
    expect([c.code, reasonOf(c)]).toEqual([Code.FailedPrecondition, 'INDEX_REQUIRED']);
  });

  test('a malformed typed filter → INVALID_ARGUMENT / INVALID_FILTER with a BadRequest violation on "filter"', async () => {
    calls.length = 0;
    const bad = create(FilterSchema, {
      filterType: { case: 'fieldFilter', value: { field: 'n', op: FieldFilter_Operator.UNSPECIFIED, value: jsonToValue(1) } },
    });
    const e = await caught(query.count({ collection: 'c', filter: bad }));
    expect([e.code, reasonOf(e), metadataOf(e)]).toEqual([Code.InvalidArgument, 'INVALID_FILTER', { field: 'filter' }]);
    expect(e.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => [v.field, v.reason])).toEqual([['filter', 'INVALID_FILTER']]);
    expect(e.rawMessage).toMatch(/filter\.field_filter: op is required/);
    const both = await caught(query.count({ collection: 'c', filter: create(FilterSchema, bad), filterExpression: 'n = 1' }));
    expect([both.code, reasonOf(both)]).toEqual([Code.InvalidArgument, 'INVALID_ARGUMENT']);
    expect(calls).toEqual([]); // never reached the engine
  });

  test('an unparsable filter_expression → INVALID_FILTER with the position in the metadata', async () => {
    const e = await caught(
      (async () => {
        for await (const _ of query.query({ collection: 'c', filterExpression: 'n >' })) {
          /* none */
        }
      })(),
    );
    expect([e.code, reasonOf(e)]).toEqual([Code.InvalidArgument, 'INVALID_FILTER']);
    expect(metadataOf(e)['position']).toMatch(/^\d+$/);
    expect(e.findDetails(BadRequestSchema)[0]?.fieldViolations.length).toBe(1);
  });

  test('an error in mid-stream arrives after the documents already sent, with its details', async () => {
    const got: string[] = [];
    const e = await caught(
      (async () => {
        for await (const m of query.query({ collection: 'fail-mid' })) got.push(m.document?.id ?? 'done');
      })(),
    );
    expect(got).toEqual(['d01', 'd02']);
    expect([e.code, reasonOf(e)]).toEqual([Code.Unavailable, 'BACKEND_UNAVAILABLE']);
  });

  test('an unexpected error is INTERNAL without its text', async () => {
    const e = await caught(
      (async () => {
        for await (const _ of query.query({ collection: 'boom' })) {
          /* none */
        }
      })(),
    );
    expect([e.code, e.rawMessage, reasonOf(e)]).toEqual([Code.Internal, 'internal error', 'INTERNAL_ERROR']);
  });

  test('UNIQUE_VIOLATION from a write → ALREADY_EXISTS with the conflicting id', async () => {
    const docs = createClient(DocumentService, transports[kind]);
    const e = await caught(docs.put({ collection: 'users', id: 'dup', data: { email: 'a@b' } }));
    expect([e.code, reasonOf(e), metadataOf(e)]).toEqual([
      Code.AlreadyExists,
      'UNIQUE_VIOLATION',
      { collection: 'users', index: 'by_email', conflictingId: 'other' },
    ]);
  });

  test('a client that cancels a stream closes the engine stream and aborts its signal', async () => {
    endless.produced = 0;
    endless.closed = false;
    endless.aborted = false;
    const ac = new AbortController();
    let got = 0;
    const e = await caught(
      (async () => {
        for await (const _ of query.query({ collection: 'endless' }, { signal: ac.signal })) if (++got === 3) ac.abort();
      })(),
    );
    expect(e.code).toBe(Code.Canceled);
    const deadline = Date.now() + 3000;
    while (!endless.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(endless.closed).toBe(true);
    expect(endless.aborted).toBe(true);
    const producedAtClose = endless.produced;
    await new Promise((r) => setTimeout(r, 50));
    expect(endless.produced).toBe(producedAtClose); // nothing more is produced
  });

  test('health reports both services; a server without the engines answers UNIMPLEMENTED', async () => {
    const health = createClient(Health, transports[kind]);
    for (const service of ['smarterbase.v1.QueryService', 'smarterbase.v1.AdminService']) {
      expect((await health.check({ service })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    }
    const q = await caught(
      (async () => {
        for await (const _ of createClient(QueryService, bareTransports[kind]).query({ collection: 'c' })) {
          /* none */
        }
      })(),
    );
    expect(q.code).toBe(Code.Unimplemented);
    expect((await caught(createClient(AdminService, bareTransports[kind]).listIndexes({ collection: 'c' }))).code).toBe(Code.Unimplemented);
  });
});

describe('reflection (grpcurl)', () => {
  test('list shows both services; Filter, Index and the QueryService methods are described', async () => {
    const addr = `127.0.0.1:${grpcPort}`;
    const list = await grpcurl(['-plaintext', addr, 'list']);
    expect(list.out.trim().split('\n')).toEqual(
      expect.arrayContaining(['smarterbase.v1.QueryService', 'smarterbase.v1.AdminService', 'smarterbase.v1.DocumentService']),
    );
    const filter = await grpcurl(['-plaintext', addr, 'describe', 'smarterbase.v1.Filter']);
    expect(filter.code).toBe(0);
    expect(filter.out).toContain('.smarterbase.v1.FieldFilter field_filter = 1;');
    const svc = await grpcurl(['-plaintext', addr, 'describe', 'smarterbase.v1.QueryService']);
    expect(svc.out).toContain('rpc Query ( .smarterbase.v1.QueryRequest ) returns ( stream .smarterbase.v1.QueryResponse )');
    const idx = await grpcurl(['-plaintext', addr, 'describe', 'smarterbase.v1.Index']);
    expect(idx.out).toContain('.smarterbase.v1.IndexKind kind = 4 [(.google.api.field_behavior) = REQUIRED];');
  });

  test('grpcurl streams a Query with a typed JSON filter', async () => {
    const body = JSON.stringify({ collection: 'c', filter: { fieldFilter: { field: 'n', op: 'OPERATOR_GT', value: 3 } }, limit: 2 });
    const r = await grpcurl(['-plaintext', '-d', body, `127.0.0.1:${grpcPort}`, 'smarterbase.v1.QueryService/Query']);
    expect(r.err).toBe('');
    const ids = [...r.out.matchAll(/"id": "(d\d+)"/g)].map((m) => m[1]);
    expect(ids).toEqual(['d01', 'd02']);
    expect(r.out).toContain('"done": true');
  });
});
