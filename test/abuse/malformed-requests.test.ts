/**
 * Malformed requests and unknown methods get a clear status with an
 * ErrorInfo on both ports, from stock clients and raw bytes (issue 8,
 * defect 4): never INTERNAL, never a bare 404 or HTTP 500.
 */
import * as grpc from '@grpc/grpc-js';
import { create, toBinary } from '@bufbuild/protobuf';
import { GetRequestSchema, PutRequestSchema } from '../../server/src/gen/smarterbase/v1/document_service_pb.js';
import { detailsOfStatusBin, errorInfoOfConnectJson } from '../harness/error-details.js';
import { grpcFrame, h2Connect, rawGrpcCall } from '../harness/raw-wire.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';

let srv: ServerProcess;
beforeAll(async () => {
  srv = await startServer({ SB_STORAGE: 'memory' });
});
afterAll(async () => {
  await srv.stop();
});

const PUT = '/smarterbase.v1.DocumentService/Put';
const GET = '/smarterbase.v1.DocumentService/Get';

/** A Put whose data nests `depth` Structs (each JSON level is a Struct → Value → Struct on the wire). */
function deepPut(depth: number): Uint8Array {
  let data: Record<string, unknown> = { leaf: 1 };
  for (let i = 0; i < depth; i++) data = { n: data };
  return toBinary(PutRequestSchema, create(PutRequestSchema, { collection: 'm', id: 'deep', data: data as never }));
}

/** Get request bytes with invalid UTF-8 in `id`: field 2, length 3, bytes ff fe fd. */
const badUtf8 = Buffer.concat([
  Buffer.from(toBinary(GetRequestSchema, create(GetRequestSchema, { collection: 'm' }))),
  Buffer.from([0x12, 0x03, 0xff, 0xfe, 0xfd]),
]);
/** Field 1 (collection, a string) sent with wire type varint. */
const wrongWireType = Buffer.from([0x08, 0x01]);
/** A length prefix promising more bytes than follow. */
const truncated = Buffer.from([0x0a, 0x50, 0x61, 0x62]);

const cases: [string, string, Uint8Array][] = [
  ['invalid UTF-8 in a string', GET, badUtf8],
  ['a wrong wire type', GET, wrongWireType],
  ['a truncated field', GET, truncated],
  ['a Struct nested 200 levels', PUT, deepPut(200)],
];

/** A stock grpc-js client sending raw bytes. */
function rawUnary(port: number, path: string, body: Uint8Array): Promise<grpc.ServiceError> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      path,
      (b: Uint8Array) => Buffer.from(b),
      (b: Buffer) => b,
      body,
      { deadline: Date.now() + 10_000 },
      (err) => {
        client.close();
        if (err === null) reject(new Error('expected an error'));
        else resolve(err);
      },
    );
  });
}

describe.each(cases)('a request with %s', (_name, path, body) => {
  test('is INVALID_ARGUMENT with an ErrorInfo on the gRPC port (stock grpc-js)', async () => {
    const err = await rawUnary(srv.grpcPort, path, body);
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    const { errorInfo } = detailsOfStatusBin(err.metadata.get('grpc-status-details-bin')[0] as Buffer);
    expect(errorInfo?.domain).toBe('smarterbase.v1');
    expect(['MALFORMED_REQUEST', 'DOCUMENT_TOO_DEEP']).toContain(errorInfo?.reason);
  });

  test('is INVALID_ARGUMENT with an ErrorInfo over gRPC on the HTTP port', async () => {
    const session = await h2Connect(srv.httpPort);
    try {
      const r = await rawGrpcCall(session, path, grpcFrame(body));
      expect(r.grpcStatus).toBe(3);
      expect(detailsOfStatusBin(r.details).errorInfo?.reason).toMatch(/^(MALFORMED_REQUEST|DOCUMENT_TOO_DEEP)$/);
    } finally {
      session.destroy();
    }
  });

  test('is HTTP 400 invalid_argument with an ErrorInfo over Connect binary', async () => {
    const res = await fetch(`http://127.0.0.1:${srv.httpPort}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/proto' },
      body,
    });
    expect(res.status).toBe(400);
    const json = (await res.json()) as { code: string; details?: { type: string; value: string }[] };
    expect(json.code).toBe('invalid_argument');
    expect(errorInfoOfConnectJson(json)?.reason).toMatch(/^(MALFORMED_REQUEST|DOCUMENT_TOO_DEEP)$/);
  });

  test('is INVALID_ARGUMENT with an ErrorInfo over gRPC-Web', async () => {
    const res = await fetch(`http://127.0.0.1:${srv.httpPort}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/grpc-web+proto' },
      body: grpcFrame(body),
    });
    const buf = Buffer.from(await res.arrayBuffer());
    const headerStatus = res.headers.get('grpc-status');
    // The status is in the headers (trailers-only) or in the trailer envelope at the end of the body.
    const trailerText = headerStatus === null ? buf.subarray(5).toString('latin1') : '';
    const status = headerStatus ?? /grpc-status:\s*(\d+)/i.exec(trailerText)?.[1];
    expect(status).toBe('3');
    const bin = res.headers.get('grpc-status-details-bin') ?? /grpc-status-details-bin:\s*([A-Za-z0-9+/=]+)/i.exec(trailerText)?.[1];
    expect(detailsOfStatusBin(Buffer.from(bin ?? '', 'base64')).errorInfo?.reason).toMatch(/^(MALFORMED_REQUEST|DOCUMENT_TOO_DEEP)$/);
  });
});

describe('an unknown method', () => {
  const path = '/smarterbase.v1.NoSuchService/Nothing';

  test('is UNIMPLEMENTED with ErrorInfo METHOD_NOT_FOUND on the gRPC port', async () => {
    const err = await rawUnary(srv.grpcPort, path, new Uint8Array());
    expect(err.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(detailsOfStatusBin(err.metadata.get('grpc-status-details-bin')[0] as Buffer).errorInfo?.reason).toBe('METHOD_NOT_FOUND');
  });

  test('is UNIMPLEMENTED with ErrorInfo over gRPC on the HTTP port (not a bare 404)', async () => {
    const err = await rawUnary(srv.httpPort, path, new Uint8Array());
    expect(err.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(detailsOfStatusBin(err.metadata.get('grpc-status-details-bin')[0] as Buffer).errorInfo?.reason).toBe('METHOD_NOT_FOUND');
  });

  test('is HTTP 501 with a Connect unimplemented error body over Connect', async () => {
    const res = await fetch(`http://127.0.0.1:${srv.httpPort}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(501);
    const json = (await res.json()) as { code: string; details?: { type: string; value: string }[] };
    expect(json.code).toBe('unimplemented');
    expect(errorInfoOfConnectJson(json)?.reason).toBe('METHOD_NOT_FOUND');
  });
});

test('binary bytes sent as gRPC+JSON on the HTTP port are answered INVALID_ARGUMENT (connect itself could not encode its error: it used to leave the call hanging)', async () => {
  const body = Buffer.from(
    '0a28f29796a0f1baa7a7f19d9189f481aab2f3b1af82f195bc9ff19294a0f2ac65b3b0f1888880f0a08c9010b986bf7c1a02667a2801',
    'hex',
  );
  const session = await h2Connect(srv.httpPort);
  try {
    const r = await rawGrpcCall(session, '/smarterbase.v1.DocumentService/List', grpcFrame(body), 10_000, {
      'content-type': 'application/grpc+json',
    });
    expect(r.grpcStatus).toBe(3);
    expect(detailsOfStatusBin(r.details).errorInfo?.reason).toBe('MALFORMED_REQUEST');
  } finally {
    session.destroy();
  }
});

test('valid requests still work on both ports after the malformed ones', async () => {
  const ok = await fetch(`http://127.0.0.1:${srv.httpPort}${PUT}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"collection":"m","id":"fine","data":{"a":1}}',
  });
  expect(ok.status).toBe(200);
  const err = await rawUnary(srv.grpcPort, GET, toBinary(GetRequestSchema, create(GetRequestSchema, { collection: 'm', id: 'absent' })));
  expect(err.code).toBe(grpc.status.NOT_FOUND);
});
