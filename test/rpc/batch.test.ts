/**
 * BatchWrite, BatchExists and BatchDelete over gRPC (grpc-js port) and the
 * fixture's Connect transport (HTTP/1.1), real engine on MemoryBlobStore; and
 * Connect JSON with the error-detail registry.
 */
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, type Client } from '@connectrpc/connect';
import { BadRequestSchema, ErrorInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import type { Status } from '../../server/src/gen/google/rpc/status_pb.js';
import type { DocumentService } from '../../server/src/gen/smarterbase/v1/document_service_pb.js';
import { startFixture, type RpcFixture } from './rpc-fixture.js';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from '@connectrpc/connect';
import { connectNodeAdapter, createConnectTransport } from '@connectrpc/connect-node';
import { DocumentService as DocumentServiceDesc } from '../../server/src/gen/smarterbase/v1/document_service_pb.js';
import { DocumentEngine } from '../../server/src/engine/document-engine.js';
import { MemoryBlobStore } from '../../server/src/storage/memory/memory-store.js';
import { LocalCoordinator } from '../../server/src/coordination/local/local-coordinator.js';
import { createDocumentHandlers } from '../../server/src/rpc/services/documents/document-handlers.js';
import { ERROR_DETAIL_REGISTRY } from '../../server/src/rpc/error-table.js';
import { wrapErrors } from '../../server/src/rpc/decorators/wrap-errors.js';

let fx: RpcFixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => {
  await fx.server.shutdown(1000);
});

/** The ErrorInfo (reason, metadata) packed in a per-item google.rpc.Status. */
function errorInfo(status: Status | undefined) {
  const infos = (status?.details ?? []).map((d) => anyUnpack(d, ErrorInfoSchema)).filter((x) => x !== undefined);
  expect(infos).toHaveLength(1);
  expect(infos[0]!.domain).toBe('smarterbase.v1');
  return infos[0]!;
}

async function failure(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error('expected the call to fail');
}

describe.each(['grpc', 'connect'] as const)('batch RPCs over %s', (transport) => {
  let c: Client<typeof DocumentService>;
  const col = `batch-${transport}`;
  beforeAll(() => {
    c = fx[transport];
  });

  test("BatchWrite: results in request order, failures carry the single call's code and ErrorInfo", async () => {
    const cas = await c.put({ collection: col, id: 'cas', data: { v: 1 } });
    await c.put({ collection: col, id: 'cas', data: { v: 2 } });
    await c.put({ collection: col, id: 'taken', data: {} });
    await c.put({ collection: col, id: 'gone', data: {} });
    const r = await c.batchWrite({
      collection: col,
      writes: [
        { operation: { case: 'put', value: { id: 'n1', data: { a: 1 } } } },
        { operation: { case: 'put', value: { id: 'taken', data: {}, createOnly: true } } },
        { operation: { case: 'put', value: { id: 'cas', data: { v: 3 }, etag: cas.document!.etag } } },
        { operation: { case: 'delete', value: { id: 'gone' } } },
        { operation: { case: 'put', value: { id: '../x', data: {} } } },
        { operation: { case: 'put', value: { id: 'nodata' } } },
        { operation: { case: 'put', value: { id: 'n2', data: { b: [1, 'two', null] } } } },
      ],
    });
    expect(r.results.map((x) => [x.id, x.status?.code])).toEqual([
      ['n1', 0],
      ['taken', Code.AlreadyExists],
      ['cas', Code.Aborted],
      ['gone', 0],
      ['../x', Code.InvalidArgument],
      ['nodata', Code.InvalidArgument],
      ['n2', 0],
    ]);
    expect(r.results[0]!.document).toMatchObject({ id: 'n1', version: 1n, data: { a: 1 } });
    expect(r.results[6]!.document?.data).toEqual({ b: [1, 'two', null] });
    expect(r.results[3]!.deleted).toBe(true);
    expect(errorInfo(r.results[1]!.status).reason).toBe('DOCUMENT_ALREADY_EXISTS');
    const mismatch = errorInfo(r.results[2]!.status);
    expect(mismatch.reason).toBe('ETAG_MISMATCH');
    expect(mismatch.metadata['currentEtag']).toBe((await c.get({ collection: col, id: 'cas' })).document!.etag);
    expect(errorInfo(r.results[4]!.status).reason).toBe('INVALID_ID');
    const bad = r.results[4]!.status!.details.map((d) => anyUnpack(d, BadRequestSchema)).filter((x) => x !== undefined);
    expect(bad[0]!.fieldViolations[0]!.field).toBe('id');
    expect(errorInfo(r.results[5]!.status).reason).toBe('INVALID_ARGUMENT');
    // The failed items wrote nothing; the others did.
    expect((await c.get({ collection: col, id: 'cas' })).document?.data).toEqual({ v: 2 });
    expect((await c.exists({ collection: col, id: 'gone' })).exists).toBe(false);
    expect((await c.exists({ collection: col, id: 'n2' })).exists).toBe(true);
  });

  test('BatchWrite whole-request errors: duplicate ids, no items, an empty item, create_only with etag', async () => {
    const put = (id: string) => ({ operation: { case: 'put' as const, value: { id, data: {} } } });
    const run = async (p: () => Promise<unknown>, field: string) => {
      const e = await failure(p());
      expect(e.code).toBe(Code.InvalidArgument);
      expect(e.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field).toBe(field);
    };
    await run(() => c.batchWrite({ collection: col, writes: [put('d1'), put('d2'), put('d1')] }), 'writes[2].id');
    await run(() => c.batchWrite({ collection: col, writes: [] }), 'writes');
    await run(() => c.batchWrite({ collection: col, writes: [put('d1'), {}] }), 'writes[1]');
    await run(
      () =>
        c.batchWrite({
          collection: col,
          writes: [{ operation: { case: 'put', value: { id: 'd1', data: {}, createOnly: true, etag: 'e' } } }],
        }),
      'writes[0].put.etag',
    );
    await run(() => c.batchDelete({ collection: col, items: [{ id: 'd1' }, { id: 'd1' }] }), 'items[1].id');
    expect((await c.exists({ collection: col, id: 'd1' })).exists).toBe(false);
  });

  test('BatchExists answers in request order with etags', async () => {
    const a = await c.put({ collection: col, id: 'ea', data: {} });
    const b = await c.put({ collection: col, id: 'eb', data: {} });
    const r = await c.batchExists({ collection: col, ids: ['eb', 'missing', 'ea'] });
    expect(r.results.map((x) => [x.id, x.exists, x.etag])).toEqual([
      ['eb', true, b.document!.etag],
      ['missing', false, ''],
      ['ea', true, a.document!.etag],
    ]);
  });

  test('BatchDelete: a stale etag fails that item only with ABORTED / ETAG_MISMATCH', async () => {
    const stale = await c.put({ collection: col, id: 'x1', data: { v: 1 } });
    await c.put({ collection: col, id: 'x1', data: { v: 2 } });
    const x2 = await c.put({ collection: col, id: 'x2', data: {} });
    await c.put({ collection: col, id: 'x3', data: {} });
    const r = await c.batchDelete({
      collection: col,
      items: [{ id: 'x1', etag: stale.document!.etag }, { id: 'x2', etag: x2.document!.etag }, { id: 'x3' }, { id: 'x4' }],
    });
    expect(r.results.map((x) => [x.id, x.status?.code, x.deleted])).toEqual([
      ['x1', Code.Aborted, false],
      ['x2', 0, true],
      ['x3', 0, true],
      ['x4', 0, false],
    ]);
    expect(errorInfo(r.results[0]!.status).reason).toBe('ETAG_MISMATCH');
    expect(r.results[0]!.status!.message).not.toBe('');
    expect((await c.get({ collection: col, id: 'x1' })).document?.data).toEqual({ v: 2 });
    expect((await c.batchExists({ collection: col, ids: ['x2', 'x3'] })).results.map((x) => x.exists)).toEqual([false, false]);
  });
});

describe('batch results over Connect JSON', () => {
  // The per-item google.rpc.Status packs ErrorInfo etc. in google.protobuf.Any;
  // protobuf JSON can only write those with a registry that knows their types.
  let server: http.Server;
  let client: Client<typeof DocumentService>;
  beforeAll(async () => {
    const engine = new DocumentEngine({ coordinator: new LocalCoordinator(), store: new MemoryBlobStore() });
    const jsonOptions = { registry: ERROR_DETAIL_REGISTRY };
    server = http.createServer(
      connectNodeAdapter({
        jsonOptions,
        routes: (r) => {
          r.service(DocumentServiceDesc, wrapErrors(DocumentServiceDesc, createDocumentHandlers(engine)));
        },
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    client = createClient(
      DocumentServiceDesc,
      createConnectTransport({ baseUrl: `http://127.0.0.1:${port}`, httpVersion: '1.1', useBinaryFormat: false, jsonOptions }),
    );
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  test('with ERROR_DETAIL_REGISTRY the per-item details are written as typed JSON and decode', async () => {
    const r = await client.batchDelete({ collection: 'j', items: [{ id: 'j1', etag: 'nope' }, { id: 'j2' }] });
    expect(r.results.map((x) => [x.id, x.status?.code, x.deleted])).toEqual([
      ['j1', Code.NotFound, false],
      ['j2', 0, false],
    ]);
    expect(errorInfo(r.results[0]!.status).reason).toBe('DOCUMENT_NOT_FOUND');
  });
});
