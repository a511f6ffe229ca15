/**
 * Data shape on the wire, against the built server process: a document
 * nested exactly MAX_JSON_DEPTH (32) levels round-trips on both ports; one
 * level deeper is INVALID_ARGUMENT / DOCUMENT_TOO_DEEP for stock grpc-js,
 * connect-node (Connect binary and JSON) and Python grpcio clients; a key
 * "__proto__" is refused (never dropped) on both ports; "constructor" and
 * "prototype" keys round-trip.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { ErrorInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import { StatusSchema } from '../../server/src/gen/google/rpc/status_pb.js';
import { DocumentService, PutRequestSchema, PutResponseSchema } from '../../server/src/gen/smarterbase/v1/document_service_pb.js';
import type { JsonObject } from '../../server/src/model/json.js';
import { MAX_JSON_DEPTH } from '../../server/src/model/json-check.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';

const python = join(__dirname, '..', '..', '.venv', 'bin', 'python');
const putRaw = join(__dirname, 'python', 'put_raw.py');

/** An object nested `n` levels deep, counting itself (nest(1) is {"leaf":true}). */
function nest(n: number): JsonObject {
  let v: JsonObject = { leaf: true };
  for (let i = 1; i < n; i++) v = { v };
  return v;
}

/** PutRequest bytes; every "__proto_X" key in `data` becomes "__proto__" (same length), which protobuf-es cannot encode itself. */
function putBytes(id: string, data: JsonObject): Buffer {
  const bin = Buffer.from(toBinary(PutRequestSchema, create(PutRequestSchema, { collection: 'shape', id, data })));
  const from = Buffer.from('__proto_X');
  for (let at = bin.indexOf(from); at >= 0; at = bin.indexOf(from, at + 1)) bin.write('__proto__', at, 'latin1');
  return bin;
}

/** What a call answered: OK with the stored data, or the code and ErrorInfo. */
interface Outcome {
  code: string;
  reason?: string;
  field?: string;
  data?: unknown;
}

function grpcJsPut(body: Buffer): Promise<Outcome> {
  const client = new grpc.Client(`127.0.0.1:${srv.grpcPort}`, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      '/smarterbase.v1.DocumentService/Put',
      (b: Buffer) => b,
      (b: Buffer) => fromBinary(PutResponseSchema, b),
      body,
      (err, res) => {
        client.close();
        if (!err) return resolve({ code: 'OK', data: res?.document?.data });
        const status = fromBinary(StatusSchema, err.metadata.get('grpc-status-details-bin')[0] as Buffer);
        const info = anyUnpack(status.details[0]!, ErrorInfoSchema);
        resolve({ code: grpc.status[err.code], reason: info?.reason, field: info?.metadata.field });
      },
    );
  });
}

/** Connect unary over HTTP/1.1 with a raw body: binary (application/proto) or JSON. */
async function connectPut(body: Buffer | string): Promise<Outcome> {
  const binary = typeof body !== 'string';
  const res = await fetch(`http://127.0.0.1:${srv.httpPort}/smarterbase.v1.DocumentService/Put`, {
    method: 'POST',
    headers: { 'content-type': binary ? 'application/proto' : 'application/json' },
    body,
  });
  if (res.status === 200) {
    const data = binary
      ? fromBinary(PutResponseSchema, new Uint8Array(await res.arrayBuffer())).document?.data
      : ((await res.json()) as { document: { data: unknown } }).document.data;
    return { code: 'OK', data };
  }
  const err = (await res.json()) as {
    code: string;
    details?: { type: string; debug?: { reason: string; metadata: Record<string, string> } }[];
  };
  const info = err.details?.find((d) => d.type === 'google.rpc.ErrorInfo')?.debug;
  return { code: err.code, reason: info?.reason, field: info?.metadata.field };
}

function pythonPut(body: Buffer): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    execFile(
      python,
      [putRaw, `127.0.0.1:${srv.grpcPort}`, body.toString('hex')],
      { encoding: 'utf8', timeout: 30000 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`${err.message}\n${stderr}`));
        const r = JSON.parse(stdout) as { code: string; reason?: string; metadata?: Record<string, string> };
        resolve({ code: r.code, reason: r.reason, field: r.metadata?.field });
      },
    );
  });
}

let srv: ServerProcess;
let grpcClient: Client<typeof DocumentService>;
let connectBinary: Client<typeof DocumentService>;
let connectJson: Client<typeof DocumentService>;
beforeAll(async () => {
  srv = await startServer({ SB_STORAGE: 'memory' });
  grpcClient = createClient(DocumentService, createGrpcTransport({ baseUrl: srv.grpcUrl }));
  const httpUrl = `http://127.0.0.1:${srv.httpPort}`;
  connectBinary = createClient(DocumentService, createConnectTransport({ baseUrl: httpUrl, httpVersion: '1.1', useBinaryFormat: true }));
  connectJson = createClient(DocumentService, createConnectTransport({ baseUrl: httpUrl, httpVersion: '1.1' }));
});
afterAll(async () => {
  await srv.stop();
});

describe('nesting depth', () => {
  const clients = (): [string, Client<typeof DocumentService>][] => [
    ['grpc (connect-node)', grpcClient],
    ['Connect binary', connectBinary],
    ['Connect JSON', connectJson],
  ];

  test(`a document exactly ${MAX_JSON_DEPTH} levels deep is written and read back over every protocol`, async () => {
    for (const [name, c] of clients()) {
      const data = nest(MAX_JSON_DEPTH);
      await c.put({ collection: 'shape', id: `max-${name}`, data });
      for (const [, reader] of clients())
        expect((await reader.get({ collection: 'shape', id: `max-${name}` })).document?.data).toEqual(data);
    }
    expect(await grpcJsPut(putBytes('max-grpc-js', nest(MAX_JSON_DEPTH)))).toEqual({ code: 'OK', data: nest(MAX_JSON_DEPTH) });
  });

  test('one level deeper is INVALID_ARGUMENT / DOCUMENT_TOO_DEEP on connect-node (gRPC, Connect binary, Connect JSON)', async () => {
    for (const [name, c] of clients()) {
      const e = ConnectError.from(
        await c.put({ collection: 'shape', id: `deep-${name}`, data: nest(MAX_JSON_DEPTH + 1) }).catch((x: unknown) => x),
      );
      expect([name, e.code]).toEqual([name, Code.InvalidArgument]);
      expect(e.findDetails(ErrorInfoSchema)[0]).toMatchObject({
        reason: 'DOCUMENT_TOO_DEEP',
        metadata: { field: 'data', maxDepth: String(MAX_JSON_DEPTH) },
      });
    }
  });

  test('one level deeper is INVALID_ARGUMENT / DOCUMENT_TOO_DEEP for stock grpc-js and Python grpcio, and for raw Connect bodies', async () => {
    const deep = putBytes('deep-raw', nest(MAX_JSON_DEPTH + 1));
    const want = { code: 'INVALID_ARGUMENT', reason: 'DOCUMENT_TOO_DEEP', field: 'data' };
    expect(await grpcJsPut(deep)).toEqual(want);
    expect(await pythonPut(deep)).toEqual(want);
    expect(await connectPut(deep)).toEqual({ ...want, code: 'invalid_argument' });
    expect(await connectPut(JSON.stringify({ collection: 'shape', id: 'deep-raw', data: nest(MAX_JSON_DEPTH + 1) }))).toEqual({
      ...want,
      code: 'invalid_argument',
    });
  });
});

describe('keys that name Object.prototype members', () => {
  const withProto = { a: 1, n: { __proto_X: { x: 1 } } } as JsonObject;
  const want = { reason: 'INVALID_ARGUMENT', field: 'data.n.__proto__' };

  test('"__proto__" is refused with INVALID_ARGUMENT naming its path on both ports (grpc-js, Python grpcio, Connect binary and JSON); nothing is stored', async () => {
    expect(await grpcJsPut(putBytes('p1', withProto))).toEqual({ code: 'INVALID_ARGUMENT', ...want });
    expect(await pythonPut(putBytes('p1', withProto))).toEqual({ code: 'INVALID_ARGUMENT', ...want });
    expect(await connectPut(putBytes('p1', withProto))).toEqual({ code: 'invalid_argument', ...want });
    expect(await connectPut('{"collection":"shape","id":"p1","data":{"a":1,"n":{"__proto__":{"x":1}}}}')).toEqual({
      code: 'invalid_argument',
      ...want,
    });
    expect(await connectPut('{"collection":"shape","id":"p1","data":{"__proto__":1}}')).toEqual({
      code: 'invalid_argument',
      reason: 'INVALID_ARGUMENT',
      field: 'data.__proto__',
    });
    const e = ConnectError.from(await grpcClient.get({ collection: 'shape', id: 'p1' }).catch((x: unknown) => x));
    expect(e.code).toBe(Code.NotFound);
  });

  test('"constructor" and "prototype" keys round-trip over grpc-js and Connect binary and JSON', async () => {
    const data = { constructor: { prototype: 1 }, prototype: { constructor: 'x', toString: [1] }, hasOwnProperty: null } as JsonObject;
    expect(await grpcJsPut(putBytes('c1', data))).toEqual({ code: 'OK', data });
    expect(await connectPut(putBytes('c2', data))).toEqual({ code: 'OK', data });
    expect(await connectPut(JSON.stringify({ collection: 'shape', id: 'c3', data }))).toEqual({ code: 'OK', data });
    for (const id of ['c1', 'c2', 'c3']) {
      expect((await grpcClient.get({ collection: 'shape', id })).document?.data).toEqual(data);
      expect((await connectJson.get({ collection: 'shape', id })).document?.data).toEqual(data);
    }
  });
});
