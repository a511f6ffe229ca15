/**
 * Wire-level behaviour: the grpc-status-details-bin trailer as a stock
 * grpc-js client sees it, every protocol of the HTTP port (Connect JSON via
 * raw HTTP/1.1, gRPC-Web over HTTP/1.1, gRPC over h2c), hidden internal
 * errors, deadlines and client cancellation reaching the engine's signal.
 */
import * as grpc from '@grpc/grpc-js';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcTransport, createGrpcWebTransport } from '@connectrpc/connect-node';
import type { CallContext } from '../../server/src/api/call-context.js';
import type { DocumentApi } from '../../server/src/api/document-api.js';
import { DbError } from '../../server/src/errors/db-error.js';
import { ErrorInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import { StatusSchema } from '../../server/src/gen/google/rpc/status_pb.js';
import { DocumentService, GetRequestSchema, GetResponseSchema } from '../../server/src/gen/smarterbase/v1/document_service_pb.js';
import { startFixture, type RpcFixture } from './rpc-fixture.js';

/** Contexts of the engine calls the wrapper saw, with when their signal fired. */
const seen: { ctx: CallContext; abortedAt?: number; startedAt: number }[] = [];

/** What the endless BatchGet saw: items produced, whether it was closed and its signal aborted. */
const endless = { produced: 0, closed: false, aborted: false };

/** The real engine, except: id "slow" waits for the signal; id "boom" throws a non-DbError; collection "endless" streams forever. */
function instrument(api: DocumentApi): DocumentApi {
  return new Proxy(api, {
    get(target, prop, receiver) {
      if (prop === 'batchGet') {
        return (ctx: CallContext, collection: string, ids: readonly string[]) => {
          if (collection !== 'endless') return target.batchGet(ctx, collection, ids);
          return (async function* () {
            try {
              for (;;) {
                await new Promise((r) => setTimeout(r, 5));
                endless.produced++;
                yield { id: String(endless.produced) };
              }
            } finally {
              endless.closed = true;
              endless.aborted = ctx.signal.aborted;
            }
          })();
        };
      }
      if (prop !== 'get') return Reflect.get(target, prop, receiver);
      return async (ctx: CallContext, collection: string, id: string) => {
        if (id === 'boom') throw new Error('secret: connection string postgres://admin:hunter2@db');
        if (id !== 'slow') return target.get(ctx, collection, id);
        const rec: (typeof seen)[number] = { ctx, startedAt: Date.now() };
        seen.push(rec);
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
        rec.abortedAt = Date.now();
        throw new DbError('deadline_exceeded', 'DEADLINE_EXCEEDED', 'the deadline passed');
      };
    },
  });
}

let fx: RpcFixture;
beforeAll(async () => {
  fx = await startFixture(instrument);
});
afterAll(async () => {
  await fx.server.shutdown(1000);
});

function rawGrpcGet(port: number, id: string): Promise<grpc.ServiceError> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      '/smarterbase.v1.DocumentService/Get',
      (m: unknown) => Buffer.from(toBinary(GetRequestSchema, create(GetRequestSchema, m as object))),
      (b: Buffer) => fromBinary(GetResponseSchema, b),
      { collection: 'c', id },
      (err) => {
        client.close();
        if (err) resolve(err);
        else reject(new Error('expected an error'));
      },
    );
  });
}

test('a stock grpc-js client decodes google.rpc.Status + ErrorInfo from grpc-status-details-bin', async () => {
  const err = await rawGrpcGet(fx.ports.grpcPort, 'nope');
  expect(err.code).toBe(grpc.status.NOT_FOUND);
  const bin = err.metadata.get('grpc-status-details-bin');
  expect(bin).toHaveLength(1);
  const status = fromBinary(StatusSchema, bin[0] as Buffer);
  expect(status.code).toBe(grpc.status.NOT_FOUND);
  expect(status.message).toBe(err.details);
  const info = anyUnpack(status.details[0]!, ErrorInfoSchema);
  expect(info).toMatchObject({ reason: 'DOCUMENT_NOT_FOUND', domain: 'smarterbase.v1', metadata: { collection: 'c', id: 'nope' } });
});

test('Connect JSON over plain HTTP/1.1 (what curl sends): success and an error body with ErrorInfo', async () => {
  const base = `http://127.0.0.1:${fx.ports.httpPort}/smarterbase.v1.DocumentService`;
  const put = await fetch(`${base}/Put`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ collection: 'curl', id: 'x', data: { a: [1, 'b', null] } }),
  });
  expect(put.status).toBe(200);
  const body = (await put.json()) as { document: { id: string; version: string; data: unknown; createTime: string } };
  expect(body.document).toMatchObject({ id: 'x', version: '1', data: { a: [1, 'b', null] } });
  expect(new Date(body.document.createTime).getTime()).toBeGreaterThan(0);
  const miss = await fetch(`${base}/Get`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"collection":"curl","id":"none"}',
  });
  expect(miss.status).toBe(404);
  const err = (await miss.json()) as { code: string; details: { type: string; debug?: { reason: string } }[] };
  expect(err.code).toBe('not_found');
  expect(err.details[0]!.type).toBe('google.rpc.ErrorInfo');
});

test.each([
  ['gRPC over h2c', (port: number) => createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` })],
  ['gRPC-Web over HTTP/1.1', (port: number) => createGrpcWebTransport({ baseUrl: `http://127.0.0.1:${port}`, httpVersion: '1.1' })],
])('the HTTP port also serves %s, with error details', async (_name, transport) => {
  const c = createClient(DocumentService, transport(fx.ports.httpPort));
  const put = await c.put({ collection: 'proto', id: 'p', data: { ok: true } });
  expect((await c.get({ collection: 'proto', id: 'p' })).document?.etag).toBe(put.document?.etag);
  const e = await c.get({ collection: 'proto', id: 'missing' }).catch((x: unknown) => ConnectError.from(x));
  expect(e).toBeInstanceOf(ConnectError);
  expect((e as ConnectError).findDetails(ErrorInfoSchema)[0]?.reason).toBe('DOCUMENT_NOT_FOUND');
});

test.each(['grpc', 'connect'] as const)(
  'over %s an unexpected error is INTERNAL with a generic message; the real one is only logged',
  async (t) => {
    const before = fx.internalErrors.length;
    const e = await fx[t].get({ collection: 'c', id: 'boom' }).catch((x: unknown) => ConnectError.from(x));
    expect(e).toBeInstanceOf(ConnectError);
    const ce = e as ConnectError;
    expect(ce.code).toBe(Code.Internal);
    expect(ce.rawMessage).toBe('internal error');
    expect(JSON.stringify(ce)).not.toContain('hunter2');
    expect(ce.findDetails(ErrorInfoSchema)[0]?.reason).toBe('INTERNAL_ERROR');
    expect(fx.internalErrors.length).toBe(before + 1);
    expect(String(fx.internalErrors[before])).toContain('hunter2');
  },
);

test.each(['grpc', 'connect'] as const)(
  'over %s a deadline reaches the engine (deadlineMs + signal) and the client gets DEADLINE_EXCEEDED',
  async (t) => {
    const start = Date.now();
    const e = await fx[t].get({ collection: 'c', id: 'slow' }, { timeoutMs: 300 }).catch((x: unknown) => ConnectError.from(x));
    expect((e as ConnectError).code).toBe(Code.DeadlineExceeded);
    expect(Date.now() - start).toBeLessThan(3000);
    const rec = seen[seen.length - 1]!;
    expect(rec.ctx.deadlineMs).toBeGreaterThan(start);
    expect(rec.ctx.deadlineMs).toBeLessThanOrEqual(start + 300 + 50);
    await new Promise((r) => setTimeout(r, 100));
    expect(rec.abortedAt).toBeDefined();
    expect(rec.abortedAt! - rec.startedAt).toBeGreaterThanOrEqual(200);
  },
);

test('a client cancel aborts the engine call (grpc-js port)', async () => {
  const ac = new AbortController();
  const n = seen.length;
  const call = fx.grpc.get({ collection: 'c', id: 'slow' }, { signal: ac.signal }).catch((x: unknown) => ConnectError.from(x));
  while (seen.length === n) await new Promise((r) => setTimeout(r, 10));
  ac.abort();
  expect(((await call) as ConnectError).code).toBe(Code.Canceled);
  const rec = seen[n]!;
  for (let i = 0; i < 100 && rec.abortedAt === undefined; i++) await new Promise((r) => setTimeout(r, 10));
  expect(rec.abortedAt).toBeDefined();
  expect(rec.ctx.deadlineMs).toBeUndefined();
});

test.each(['grpc', 'connect'] as const)('over %s a client leaving a BatchGet stream stops the engine iterator', async (t) => {
  Object.assign(endless, { produced: 0, closed: false, aborted: false });
  const ac = new AbortController();
  let received = 0;
  const e = await (async () => {
    for await (const r of fx[t].batchGet({ collection: 'endless', ids: [] }, { signal: ac.signal })) {
      expect(r.found).toBe(false);
      if (++received === 3) ac.abort();
    }
  })().catch((x: unknown) => ConnectError.from(x));
  expect((e as ConnectError).code).toBe(Code.Canceled);
  for (let i = 0; i < 100 && !endless.closed; i++) await new Promise((r) => setTimeout(r, 10));
  expect(endless.closed).toBe(true);
  expect(endless.aborted).toBe(true);
  const stoppedAt = endless.produced;
  await new Promise((r) => setTimeout(r, 100));
  expect(endless.produced).toBe(stoppedAt);
  expect((await fx[t].exists({ collection: 'c', id: 'x' })).exists).toBe(false); // the server still serves
});
