/**
 * Server reflection proven with a stock client: grpcurl lists, describes and
 * calls the services without any .proto file (v1, and v1alpha which older
 * grpcurl versions fall back to).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { create, fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { ReflectionIndex } from '../../server/src/rpc/services/reflection/reflection.js';
import { DocumentService } from '../../server/src/gen/smarterbase/v1/document_service_pb.js';
import {
  ServerReflection as ReflectionV1alpha,
  ServerReflectionRequestSchema,
} from '../../server/src/gen/grpc/reflection/v1alpha/reflection_pb.js';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { startFixture, type RpcFixture } from './rpc-fixture.js';

const grpcurlBin = join(__dirname, '..', '..', '.tools', 'bin', 'grpcurl');

function grpcurl(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(grpcurlBin, args, { timeout: 20000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: stdout, err: stderr });
    });
  });
}

let fx: RpcFixture;
let addr: string;
beforeAll(async () => {
  fx = await startFixture();
  addr = `127.0.0.1:${fx.ports.grpcPort}`;
});
afterAll(async () => {
  await fx.server.shutdown(500);
});

test('grpcurl list', async () => {
  const r = await grpcurl(['-plaintext', addr, 'list']);
  expect(r.err).toBe('');
  expect(r.out.trim().split('\n').sort()).toEqual([
    'grpc.health.v1.Health',
    'grpc.reflection.v1.ServerReflection',
    'grpc.reflection.v1alpha.ServerReflection',
    'smarterbase.v1.DocumentService',
  ]);
});

test('grpcurl describe a service, a message with well-known types, a method and a nested enum', async () => {
  const svc = await grpcurl(['-plaintext', addr, 'describe', 'smarterbase.v1.DocumentService']);
  expect(svc.code).toBe(0);
  expect(svc.out).toContain('rpc BatchGet ( .smarterbase.v1.BatchGetRequest ) returns ( stream .smarterbase.v1.BatchGetResponse )');
  expect(svc.out).toContain('rpc PutIfMatch ( .smarterbase.v1.PutIfMatchRequest ) returns ( .smarterbase.v1.PutIfMatchResponse )');
  const doc = await grpcurl(['-plaintext', addr, 'describe', 'smarterbase.v1.Document']);
  expect(doc.code).toBe(0);
  expect(doc.out).toContain('.google.protobuf.Struct data = 3;');
  expect(doc.out).toContain('.google.protobuf.Timestamp create_time = 6;');
  const method = await grpcurl(['-plaintext', addr, 'describe', 'smarterbase.v1.DocumentService.Get']);
  expect(method.out).toContain('rpc Get ( .smarterbase.v1.GetRequest ) returns ( .smarterbase.v1.GetResponse )');
  const nested = await grpcurl(['-plaintext', addr, 'describe', 'grpc.health.v1.HealthCheckResponse.ServingStatus']);
  expect(nested.out).toContain('SERVICE_UNKNOWN = 3;');
  const unknown = await grpcurl(['-plaintext', addr, 'describe', 'smarterbase.v1.Nope']);
  expect(unknown.code).not.toBe(0);
  expect(unknown.err).toMatch(/not found/i);
});

test('grpcurl Put and Get with JSON, no proto files', async () => {
  const put = await grpcurl([
    '-plaintext',
    '-d',
    '{"collection":"users","id":"u1","data":{"name":"Ada","age":36}}',
    addr,
    'smarterbase.v1.DocumentService/Put',
  ]);
  expect(put.err).toBe('');
  const putDoc = (JSON.parse(put.out) as { document: { etag: string; version: string } }).document;
  expect(putDoc.version).toBe('1');
  const get = await grpcurl(['-plaintext', '-d', '{"collection":"users","id":"u1"}', addr, 'smarterbase.v1.DocumentService/Get']);
  const got = (JSON.parse(get.out) as { document: { data: unknown; etag: string } }).document;
  expect(got.data).toEqual({ name: 'Ada', age: 36 });
  expect(got.etag).toBe(putDoc.etag);
  const miss = await grpcurl(['-plaintext', '-d', '{"collection":"users","id":"none"}', addr, 'smarterbase.v1.DocumentService/Get']);
  expect(miss.code).not.toBe(0);
  expect(miss.err).toContain('NotFound');
});

test('the index answers by filename with the transitive dependencies, and unknown symbols with NOT_FOUND', () => {
  const index = new ReflectionIndex([DocumentService]);
  const r = index.answer(
    create(ServerReflectionRequestSchema, { messageRequest: { case: 'fileByFilename', value: 'smarterbase/v1/document_service.proto' } }),
  );
  expect(r.case).toBe('fileDescriptorResponse');
  const names = (r.value as { fileDescriptorProto: Uint8Array[] }).fileDescriptorProto.map(
    (b) => fromBinary(FileDescriptorProtoSchema, b).name,
  );
  // google.api.field_behavior (REQUIRED annotations) and its descriptor.proto are dependencies of the contract since issue 9;
  // duration.proto since document.proto's Expiration (issue 12).
  expect(names).toEqual([
    'smarterbase/v1/document_service.proto',
    'google/api/field_behavior.proto',
    'google/protobuf/descriptor.proto',
    'google/protobuf/struct.proto',
    'google/protobuf/timestamp.proto',
    'google/rpc/status.proto',
    'google/protobuf/any.proto',
    'smarterbase/v1/document.proto',
    'google/protobuf/duration.proto',
    'smarterbase/v1/lock.proto',
  ]);
  const miss = index.answer(create(ServerReflectionRequestSchema, { messageRequest: { case: 'fileContainingSymbol', value: 'x.Y' } }));
  expect(miss).toEqual({ case: 'errorResponse', value: { errorCode: 5, errorMessage: 'symbol x.Y not found' } });
});

test('v1alpha answers like v1 (older clients)', async () => {
  const c = createClient(ReflectionV1alpha, createGrpcTransport({ baseUrl: `http://${addr}` }));
  async function* reqs() {
    yield { messageRequest: { case: 'listServices' as const, value: '' } };
    yield { messageRequest: { case: 'fileContainingSymbol' as const, value: 'smarterbase.v1.ErrorReason' } };
  }
  const answers = [];
  for await (const r of c.serverReflectionInfo(reqs())) answers.push(r.messageResponse);
  expect(answers[0]?.case).toBe('listServicesResponse');
  expect(answers[1]?.case).toBe('fileDescriptorResponse');
  const files = (answers[1]!.value as { fileDescriptorProto: Uint8Array[] }).fileDescriptorProto;
  expect(fromBinary(FileDescriptorProtoSchema, files[0]!).name).toBe('smarterbase/v1/common.proto');
});
