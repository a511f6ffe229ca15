import * as grpc from '@grpc/grpc-js';
import { create, fromBinary, toBinary, type DescMessage } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import type { HandlerContext } from '@connectrpc/connect';
import { DbError } from '../errors/db-error.js';
import { ErrorInfoSchema } from '../gen/google/rpc/error_details_pb.js';
import { StatusSchema } from '../gen/google/rpc/status_pb.js';
import {
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as S,
} from '../gen/grpc/health/v1/health_pb.js';
import {
  ServerReflection,
  ServerReflectionRequestSchema,
  ServerReflectionResponseSchema,
} from '../gen/grpc/reflection/v1/reflection_pb.js';
import { mountGrpc } from './grpc-mount.js';

const ser = (d: DescMessage) => (m: unknown) => Buffer.from(toBinary(d, create(d, m as never)));
const de = (d: DescMessage) => (b: Buffer) => fromBinary(d, b);

let server: grpc.Server;
let client: grpc.Client;
const contexts: HandlerContext[] = [];

beforeAll(async () => {
  server = new grpc.Server();
  mountGrpc(server, Health, {
    check(req, ctx) {
      contexts.push(ctx);
      if (req.service === 'fail') throw new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'backend down', { retryDelayMs: 100 });
      if (req.service === 'hang')
        return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))));
      return { status: S.SERVING };
    },
    async *watch(req) {
      yield { status: S.SERVING };
      if (req.service === 'fail') throw new DbError('not_found', 'DOCUMENT_NOT_FOUND', 'gone');
    },
  });
  mountGrpc(server, ServerReflection, {
    async *serverReflectionInfo(requests) {
      for await (const r of requests) yield { validHost: r.host };
    },
  });
  const port = await new Promise<number>((res, rej) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
  );
  client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});
afterAll(() => {
  client.close();
  server.forceShutdown();
});

function check(service: string, deadline?: number): Promise<{ err: grpc.ServiceError | null; res?: { status: S } }> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      ser(HealthCheckRequestSchema),
      de(HealthCheckResponseSchema),
      { service },
      new grpc.Metadata(),
      deadline ? { deadline: Date.now() + deadline } : {},
      (err, res) => resolve({ err, res: res as unknown as { status: S } }),
    );
  });
}

describe('mountGrpc', () => {
  test('unary: the response is encoded with protobuf-es; the context is released when the call ends', async () => {
    expect((await check('', 60_000)).res?.status).toBe(S.SERVING);
    const ctx = contexts[contexts.length - 1]!;
    await new Promise((r) => setTimeout(r, 20));
    expect(ctx.signal.aborted).toBe(true); // its 60 s deadline timer is cleared, not left pending
  });

  test('unary error: code, message and grpc-status-details-bin with ErrorInfo', async () => {
    const { err } = await check('fail');
    expect(err?.code).toBe(grpc.status.UNAVAILABLE);
    expect(err?.details).toBe('backend down');
    const status = fromBinary(StatusSchema, err!.metadata.get('grpc-status-details-bin')[0] as Buffer);
    expect(anyUnpack(status.details[0]!, ErrorInfoSchema)?.reason).toBe('BACKEND_UNAVAILABLE');
    expect(status.details[1]?.typeUrl).toBe('type.googleapis.com/google.rpc.RetryInfo');
  });

  test('the deadline becomes timeoutMs and fires the handler signal', async () => {
    const before = contexts.length;
    const { err } = await check('hang', 200);
    expect(err?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    const ctx = contexts[before]!;
    expect(ctx.timeoutMs()).toBeLessThanOrEqual(200);
    await new Promise((r) => setTimeout(r, 50));
    expect(ctx.signal.aborted).toBe(true);
  });

  test('server streaming: messages, then an error status with details', async () => {
    const call = client.makeServerStreamRequest(
      '/grpc.health.v1.Health/Watch',
      ser(HealthCheckRequestSchema),
      de(HealthCheckResponseSchema),
      { service: 'fail' },
    );
    const got: S[] = [];
    call.on('data', (m: { status: S }) => got.push(m.status));
    const err = await new Promise<grpc.ServiceError>((resolve) => call.on('error', resolve));
    expect(got).toEqual([S.SERVING]);
    expect(err.code).toBe(grpc.status.NOT_FOUND);
    expect(err.metadata.get('grpc-status-details-bin')).toHaveLength(1);
  });

  test('bidi: answers each request and ends with OK when the client half-closes', async () => {
    const call = client.makeBidiStreamRequest(
      '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
      ser(ServerReflectionRequestSchema),
      de(ServerReflectionResponseSchema),
    );
    const hosts: string[] = [];
    call.on('data', (m: { validHost: string }) => hosts.push(m.validHost));
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    call.write({ host: 'a' });
    call.write({ host: 'b' });
    call.end();
    expect((await status).code).toBe(grpc.status.OK);
    expect(hosts).toEqual(['a', 'b']);
  });
});
