/**
 * Large requests are decoded in a worker thread (rpc/decode-pool.ts), against
 * the built server process: a valid large document round-trips on both ports
 * and every protocol; one whose data is over SB_MAX_DOCUMENT_BYTES is refused
 * by the worker with DOCUMENT_TOO_LARGE, naming its field, and nothing is
 * stored; bytes that do not decode are MALFORMED_REQUEST; more large requests
 * than the decode queue holds are RESOURCE_EXHAUSTED / SERVER_OVERLOADED with
 * RetryInfo, and the server keeps serving. (What this buys — Get p99 while
 * such requests flood in — is measured by bench:decode-stall, not here.)
 */
import * as grpc from '@grpc/grpc-js';
import { create, toBinary } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { ErrorInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import { DocumentService, PutRequestSchema } from '../../server/src/gen/smarterbase/v1/document_service_pb.js';
import type { JsonObject } from '../../server/src/model/json.js';
import { detailsOfStatusBin } from '../harness/error-details.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';

const MAX_DOCUMENT_BYTES = 200_000;

/** Data of `keys` keys, about 20 bytes of JSON each. */
function wide(keys: number, tag = 'v'): JsonObject {
  const out: JsonObject = {};
  for (let i = 0; i < keys; i++) out[`key-${i}`] = i % 2 === 0 ? `${tag}-${i}` : i;
  return out;
}

let srv: ServerProcess;
const clients: [string, Client<typeof DocumentService>][] = [];
beforeAll(async () => {
  srv = await startServer({
    SB_STORAGE: 'memory',
    SB_MAX_DOCUMENT_BYTES: String(MAX_DOCUMENT_BYTES),
    SB_DECODE_WORKERS: '1',
    SB_DECODE_MAX_QUEUED: '1',
  });
  const httpUrl = `http://127.0.0.1:${srv.httpPort}`;
  clients.push(
    ['gRPC port', createClient(DocumentService, createGrpcTransport({ baseUrl: srv.grpcUrl }))],
    ['HTTP port, gRPC h2c', createClient(DocumentService, createGrpcTransport({ baseUrl: httpUrl }))],
    [
      'HTTP port, Connect binary',
      createClient(DocumentService, createConnectTransport({ baseUrl: httpUrl, httpVersion: '1.1', useBinaryFormat: true })),
    ],
    ['HTTP port, Connect JSON', createClient(DocumentService, createConnectTransport({ baseUrl: httpUrl, httpVersion: '1.1' }))],
  );
});
afterAll(async () => {
  await srv.stop();
});

test('a valid document larger than SB_DECODE_OFFLOAD_BYTES (64 KiB) round-trips on every port and protocol', async () => {
  const data = wide(7_000); // ~150 KB of JSON, ~190 KB on the wire
  expect(JSON.stringify(data).length).toBeLessThan(MAX_DOCUMENT_BYTES);
  expect(toBinary(PutRequestSchema, create(PutRequestSchema, { collection: 'big', id: 'x', data })).length).toBeGreaterThan(65_536);
  for (const [name, c] of clients) {
    await c.put({ collection: 'big', id: `ok-${name.replace(/\W+/g, '-')}`, data });
    for (const [, reader] of clients)
      expect((await reader.get({ collection: 'big', id: `ok-${name.replace(/\W+/g, '-')}` })).document?.data).toEqual(data);
  }
});

test('data over SB_MAX_DOCUMENT_BYTES is INVALID_ARGUMENT / DOCUMENT_TOO_LARGE on every port and protocol, and nothing is stored', async () => {
  const data = wide(12_000); // ~260 KB of JSON
  const size = Buffer.byteLength(JSON.stringify(data));
  for (const [name, c] of clients) {
    const id = `big-${name.replace(/\W+/g, '-')}`;
    const e = ConnectError.from(await c.put({ collection: 'big', id, data }).catch((x: unknown) => x));
    expect([name, e.code]).toEqual([name, Code.InvalidArgument]);
    const info = e.findDetails(ErrorInfoSchema)[0];
    expect([name, info?.reason, info?.metadata.field, info?.metadata.limitBytes]).toEqual([
      name,
      'DOCUMENT_TOO_LARGE',
      'data',
      String(MAX_DOCUMENT_BYTES),
    ]);
    expect(Number(info?.metadata.sizeBytes)).toBeGreaterThanOrEqual(size);
    expect(ConnectError.from(await c.get({ collection: 'big', id }).catch((x: unknown) => x)).code).toBe(Code.NotFound);
  }
});

test('a Commit with one oversized document is refused whole, naming writes[i].set.data', async () => {
  const [, c] = clients[0]!;
  const e = ConnectError.from(
    await c
      .commit({
        writes: [
          { collection: 'big', id: 'c1', operation: { case: 'set', value: { data: { small: true } } } },
          { collection: 'big', id: 'c2', operation: { case: 'set', value: { data: wide(12_000) } } },
        ],
      })
      .catch((x: unknown) => x),
  );
  expect(e.code).toBe(Code.InvalidArgument);
  expect(e.findDetails(ErrorInfoSchema)[0]).toMatchObject({ reason: 'DOCUMENT_TOO_LARGE', metadata: { field: 'writes[1].set.data' } });
  for (const id of ['c1', 'c2'])
    expect(ConnectError.from(await c.get({ collection: 'big', id }).catch((x: unknown) => x)).code).toBe(Code.NotFound);
});

test('large bytes that do not decode are INVALID_ARGUMENT / MALFORMED_REQUEST from the worker', async () => {
  const good = Buffer.from(toBinary(PutRequestSchema, create(PutRequestSchema, { collection: 'big', id: 'bad', data: wide(7_000) })));
  const bad = Buffer.concat([good, Buffer.from([0x0a, 0x03, 0x61, 0xff, 0x62])]); // collection = "a\xffb": invalid UTF-8
  const client = new grpc.Client(`127.0.0.1:${srv.grpcPort}`, grpc.credentials.createInsecure());
  const err = await new Promise<grpc.ServiceError | null>((resolve) => {
    client.makeUnaryRequest(
      '/smarterbase.v1.DocumentService/Put',
      (b: Buffer) => b,
      (b: Buffer) => b,
      bad,
      (e) => resolve(e),
    );
  });
  client.close();
  expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
  expect(detailsOfStatusBin(err?.metadata.get('grpc-status-details-bin')[0] as Buffer).errorInfo?.reason).toBe('MALFORMED_REQUEST');
});

test('more large requests than the decode queue holds are RESOURCE_EXHAUSTED / SERVER_OVERLOADED with RetryInfo; the server keeps serving', async () => {
  // Encoded once and sent 8 times at once over one connection (~0.9 MB each: a second or more of
  // decoding in the one worker, with a queue of 1), so they reach the server together.
  const body = Buffer.from(toBinary(PutRequestSchema, create(PutRequestSchema, { collection: 'big', id: 'flood', data: wide(40_000) })));
  const client = new grpc.Client(`127.0.0.1:${srv.grpcPort}`, grpc.credentials.createInsecure());
  const outcomes = await Promise.all(
    Array.from(
      { length: 8 },
      () =>
        new Promise<grpc.ServiceError | null>((resolve) => {
          client.makeUnaryRequest(
            '/smarterbase.v1.DocumentService/Put',
            (b: Buffer) => b,
            (b: Buffer) => b,
            body,
            (e) => resolve(e),
          );
        }),
    ),
  );
  client.close();
  const details = outcomes.map((e) => ({
    code: e?.code,
    ...detailsOfStatusBin(e?.metadata.get('grpc-status-details-bin')[0] as Buffer | undefined),
  }));
  const reasons = details.map((d) => d.errorInfo?.reason);
  expect(reasons.filter((r) => r !== 'DOCUMENT_TOO_LARGE' && r !== 'SERVER_OVERLOADED')).toEqual([]);
  const overloaded = details.filter((d) => d.errorInfo?.reason === 'SERVER_OVERLOADED');
  expect(overloaded.length).toBeGreaterThan(0);
  for (const d of overloaded) {
    expect(d.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(d.retryInfo?.retryDelay).toBeDefined();
  }
  const [, c] = clients[0]!;
  await c.put({ collection: 'big', id: 'after', data: { fine: true } });
  expect((await c.get({ collection: 'big', id: 'after' })).document?.data).toEqual({ fine: true });
});
