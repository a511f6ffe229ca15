/**
 * QueryService and AdminService over the real engines (DocumentEngine,
 * LocalIndexStore, QueryEngine, IndexAdmin on a MemoryBlobStore) through
 * both transports of a real RpcServer: the documents are written first, so
 * the index is filled by its background build (no write hooks needed), then
 * queried. Proves the transport edge end to end: streaming, expression
 * parsing, real error reasons, grpcurl with a hand-typed expression.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { Code, ConnectError, createClient, type Client, type Transport } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { LocalIndexStore } from '../../server/src/index/local/local-index-store.js';
import { DocumentEngine } from '../../server/src/engine/document-engine.js';
import { BadRequestSchema, ErrorInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import { AdminService } from '../../server/src/gen/smarterbase/v1/admin_service_pb.js';
import { DocumentService } from '../../server/src/gen/smarterbase/v1/document_service_pb.js';
import { IndexKind, IndexState } from '../../server/src/gen/smarterbase/v1/index_pb.js';
import { Direction, FieldFilter_Operator } from '../../server/src/gen/smarterbase/v1/query_pb.js';
import { QueryService, type QueryRequestSchema } from '../../server/src/gen/smarterbase/v1/query_service_pb.js';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { IndexAdmin } from '../../server/src/index/index-admin.js';
import { QueryEngine } from '../../server/src/query/query-engine.js';
import { RpcServer } from '../../server/src/rpc/server/rpc-server.js';
import { MemoryBlobStore } from '../../server/src/storage/memory/memory-store.js';
import { LocalCoordinator } from '../../server/src/coordination/local/local-coordinator.js';

const grpcurlBin = join(__dirname, '..', '..', '.tools', 'bin', 'grpcurl');

let server: RpcServer;
let grpcPort: number;
let transports: Record<'grpc' | 'connect', Transport>;
const internalErrors: unknown[] = [];

beforeAll(async () => {
  const store = new MemoryBlobStore();
  const indexes = new LocalIndexStore();
  const api = new DocumentEngine({ coordinator: new LocalCoordinator(), store });
  server = new RpcServer({
    api,
    query: new QueryEngine({ store, indexes, reader: api.reader }),
    admin: new IndexAdmin({ indexes, store }),
    grpcPort: 0,
    httpPort: 0,
    logInternal: (e) => internalErrors.push(e),
  });
  const ports = await server.start();
  grpcPort = ports.grpcPort;
  transports = {
    grpc: createGrpcTransport({ baseUrl: `http://127.0.0.1:${ports.grpcPort}` }),
    connect: createConnectTransport({ baseUrl: `http://127.0.0.1:${ports.httpPort}`, httpVersion: '1.1' }),
  };
  const docs = createClient(DocumentService, transports.grpc);
  for (let n = 1; n <= 10; n++) {
    await docs.put({ collection: 'nums', id: `d${String(n).padStart(2, '0')}`, data: { n, parity: n % 2 === 0 ? 'even' : 'odd' } });
  }
  const admin = createClient(AdminService, transports.grpc);
  const created = (await admin.createIndex({ index: { collection: 'nums', name: 'by_n', fields: ['n'], kind: IndexKind.ORDERED } })).index;
  expect(created?.state).toBe(IndexState.BUILDING); // the collection holds documents: built in the background
  const deadline = Date.now() + 10_000;
  for (;;) {
    const i = (await admin.getIndex({ collection: 'nums', name: 'by_n' })).index;
    if (i?.state === IndexState.READY) {
      expect(i.documentsScanned).toBe(10n);
      break;
    }
    if (Date.now() > deadline) throw new Error(`index not ready: ${JSON.stringify(i)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
});
afterAll(async () => {
  await server.shutdown(500);
  expect(internalErrors).toEqual([]);
});

async function caught(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error('expected an error');
}

describe.each(['grpc', 'connect'] as const)('over %s', (kind) => {
  let query: Client<typeof QueryService>;
  beforeAll(() => {
    query = createClient(QueryService, transports[kind]);
  });

  async function ns(req: MessageInitShape<typeof QueryRequestSchema>): Promise<{ ns: number[]; last: string; done: boolean }> {
    const out: number[] = [];
    let last = '';
    let done = false;
    for await (const m of query.query(req)) {
      if (m.done) done = true;
      else out.push((m.document?.data as { n: number }).n);
      last = m.resumeToken;
    }
    return { ns: out, last, done };
  }

  test('order by n, offset 3, limit 3 → exactly 4, 5, 6, then done; start_after continues', async () => {
    const r = await ns({ collection: 'nums', orderBy: [{ field: 'n' }], offset: 3, limit: 3 });
    expect([r.ns, r.done]).toEqual([[4, 5, 6], true]);
    expect((await ns({ collection: 'nums', orderBy: [{ field: 'n' }], startAfter: r.last, limit: 2 })).ns).toEqual([7, 8]);
  });

  test('typed and expression filters', async () => {
    const typed = {
      filterType: {
        case: 'fieldFilter' as const,
        value: { field: 'n', op: FieldFilter_Operator.GTE, value: { kind: { case: 'numberValue' as const, value: 8 } } },
      },
    };
    expect((await ns({ collection: 'nums', filter: typed, orderBy: [{ field: 'n', direction: Direction.DESCENDING }] })).ns).toEqual([
      10, 9, 8,
    ]);
    expect(
      (
        await ns({
          collection: 'nums',
          filterExpression: 'parity = "even" AND n < 5',
          orderBy: [{ field: 'n', direction: Direction.DESCENDING }],
        })
      ).ns,
    ).toEqual([4, 2]);
  });

  test('count and explain', async () => {
    expect((await query.count({ collection: 'nums', filterExpression: 'n > 5' })).count).toBe(5n);
    const plan = (await query.explain({ collection: 'nums', filterExpression: 'n >= 7', orderBy: [{ field: 'n' }] })).plan;
    expect(plan?.indexesUsed).toContain('by_n');
    expect(plan?.scan).toBe(false);
  });

  test('a parse error → INVALID_ARGUMENT / INVALID_FILTER with the position, on filter_expression', async () => {
    const e = await caught(ns({ collection: 'nums', filterExpression: 'n >' }));
    const info = e.findDetails(ErrorInfoSchema)[0];
    expect([e.code, info?.reason]).toEqual([Code.InvalidArgument, 'INVALID_FILTER']);
    expect(info?.metadata['position']).toMatch(/^\d+$/);
    expect(e.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field).toBe('filter_expression');
  });

  test('require_index without a usable index → FAILED_PRECONDITION / INDEX_REQUIRED', async () => {
    const e = await caught(ns({ collection: 'nums', filterExpression: 'parity = "odd"', requireIndex: true }));
    expect([e.code, e.findDetails(ErrorInfoSchema)[0]?.reason]).toEqual([Code.FailedPrecondition, 'INDEX_REQUIRED']);
  });
});

test('grpcurl: a query typed by hand as an expression streams its documents', async () => {
  const body = JSON.stringify({ collection: 'nums', filterExpression: 'n >= 9', orderBy: [{ field: 'n' }] });
  const out = await new Promise<string>((resolve, reject) => {
    execFile(
      grpcurlBin,
      ['-plaintext', '-d', body, `127.0.0.1:${grpcPort}`, 'smarterbase.v1.QueryService/Query'],
      { timeout: 20000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${err.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
  expect([...out.matchAll(/"id": "(d\d+)"/g)].map((m) => m[1])).toEqual(['d09', 'd10']);
  expect(out).toContain('"done": true');
});
