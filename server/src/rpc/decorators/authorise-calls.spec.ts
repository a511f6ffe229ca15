import { create } from '@bufbuild/protobuf';
import { createHandlerContext, type HandlerContext } from '@connectrpc/connect';
import type { Role } from '../../access/access-model.js';
import type { AuditEvent } from '../../access/audit.js';
import type { Caller } from '../../access/authenticator.js';
import { DbError } from '../../errors/db-error.js';
import { Health } from '../../gen/grpc/health/v1/health_pb.js';
import { AccessService } from '../../gen/smarterbase/v1/access_service_pb.js';
import { DocumentService, GetRequestSchema, BatchGetRequestSchema } from '../../gen/smarterbase/v1/document_service_pb.js';
import {
  ObjectService,
  UploadRequestSchema,
  WriteUploadRequestSchema,
  type UploadRequest,
} from '../../gen/smarterbase/v1/object_service_pb.js';
import { REFLECTION_SERVICES } from '../services/reflection/reflection.js';
import { authoriseCalls, type CallAuth } from './authorise-calls.js';
import { context, trace } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

const provider = new NodeTracerProvider();
provider.register(); // AsyncLocalStorage context manager, as main.ts does with tracing on

const reader: Role = {
  name: 'reader',
  description: '',
  permissions: [{ verbs: ['read', 'write'], collections: ['open*'], locks: [], logs: [], accessControl: false }],
};
const CALLERS: Record<string, Caller> = {
  'Bearer ann': { principal: 'ann', roles: [reader], via: 'k1' },
  'Bearer root': {
    principal: 'root',
    roles: [{ ...reader, permissions: [{ ...reader.permissions[0]!, verbs: ['admin'], accessControl: true }] }],
    via: 'k2',
  },
};

function setup() {
  const audit: AuditEvent[] = [];
  let authentications = 0;
  const auth: CallAuth = {
    authenticate: (ctx) => {
      authentications++;
      const caller = CALLERS[ctx.requestHeader.get('authorization') ?? ''];
      return caller === undefined ? Promise.reject(new DbError('unauthenticated', 'UNAUTHENTICATED', 'no')) : Promise.resolve(caller);
    },
    audit: (e) => audit.push(e),
  };
  return { auth, audit, authentications: () => authentications };
}

function ctx(authorization?: string): HandlerContext {
  return createHandlerContext({
    service: DocumentService,
    method: DocumentService.method.get,
    protocolName: 'grpc',
    requestMethod: 'POST',
    url: '/x',
    requestHeader: authorization === undefined ? {} : { authorization },
  });
}

type Fn = (input: unknown, ctx: HandlerContext) => unknown;
const method = (impl: unknown, name: string): Fn => (impl as Record<string, Fn>)[name]!;

async function reasonOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DbError) return e.reason;
    throw e;
  }
  return 'ok';
}

describe('authoriseCalls', () => {
  test('an unauthenticated call never reaches the handler', async () => {
    const { auth, audit } = setup();
    let called = 0;
    const impl = authoriseCalls(DocumentService, { get: () => (called++, {}) } as never, auth);
    expect(await reasonOf(Promise.resolve(method(impl, 'get')(create(GetRequestSchema, { collection: 'open1' }), ctx())))).toBe(
      'UNAUTHENTICATED',
    );
    expect(called).toBe(0);
    expect(audit).toEqual([expect.objectContaining({ outcome: 'unauthenticated', method: '/smarterbase.v1.DocumentService/Get' })]);
  });

  test('a denied call never reaches the handler and is audited with its principal and resource', async () => {
    const { auth, audit } = setup();
    let called = 0;
    const impl = authoriseCalls(DocumentService, { get: () => (called++, {}) } as never, auth);
    const p = Promise.resolve(method(impl, 'get')(create(GetRequestSchema, { collection: 'secret' }), ctx('Bearer ann')));
    await expect(p).rejects.toMatchObject({
      kind: 'permission_denied',
      metadata: { verb: 'read', resource: 'collection:secret', principal: 'ann' },
    });
    expect(called).toBe(0);
    expect(audit).toEqual([expect.objectContaining({ outcome: 'denied', principal: 'ann', resources: ['read collection:secret'] })]);
  });

  test('an allowed call reaches the handler with its request', async () => {
    const { auth, audit } = setup();
    const impl = authoriseCalls(DocumentService, { get: (req: { id: string }) => ({ seen: req.id }) } as never, auth);
    expect(await method(impl, 'get')(create(GetRequestSchema, { collection: 'open1', id: 'd' }), ctx('Bearer ann'))).toEqual({ seen: 'd' });
    expect(audit).toEqual([]);
  });

  test('a server stream is refused before the handler starts', async () => {
    const { auth } = setup();
    let started = 0;
    const impl = authoriseCalls(
      DocumentService,
      {
        async *batchGet() {
          started++;
          yield {};
        },
      } as never,
      auth,
    );
    const it = method(impl, 'batchGet')(
      create(BatchGetRequestSchema, { collection: 'secret' }),
      ctx('Bearer ann'),
    ) as AsyncIterable<unknown>;
    await expect(
      (async () => {
        for await (const _ of it) void _;
      })(),
    ).rejects.toMatchObject({ reason: 'PERMISSION_DENIED' });
    expect(started).toBe(0);
  });

  test('a client stream is checked on its first message before the handler sees any', async () => {
    const { auth } = setup();
    const seen: UploadRequest[] = [];
    const impl = authoriseCalls(
      ObjectService,
      {
        async upload(input: AsyncIterable<UploadRequest>) {
          for await (const m of input) seen.push(m);
          return {};
        },
      } as never,
      auth,
    );
    let pulled = 0;
    const messages = (collection: string) =>
      (async function* () {
        pulled++;
        yield create(UploadRequestSchema, { kind: { case: 'header', value: { collection, id: 'a' } } });
        pulled++;
        yield create(UploadRequestSchema, { kind: { case: 'data', value: new Uint8Array([1]) } });
      })();
    expect(await reasonOf(Promise.resolve(method(impl, 'upload')(messages('secret'), ctx('Bearer ann'))))).toBe('PERMISSION_DENIED');
    expect(seen).toEqual([]);
    expect(pulled).toBe(1); // only the first message was read
    await method(impl, 'upload')(messages('open-files'), ctx('Bearer ann'));
    expect(seen.map((m) => m.kind.case)).toEqual(['header', 'data']);
  });

  test("calls by upload id need write on that upload's collection (an unknown id: on some collection)", async () => {
    const { auth } = setup();
    const uploads: Record<string, string> = { 'u-open': 'open-files', 'u-secret': 'secret' };
    const withUploads: CallAuth = { ...auth, uploadCollection: (id) => Promise.resolve(uploads[id]) };
    let statuses = 0;
    let written = 0;
    const impl = authoriseCalls(
      ObjectService,
      {
        queryUploadStatus: () => (statuses++, {}),
        async writeUpload(input: AsyncIterable<unknown>) {
          for await (const _ of input) written++;
          return {};
        },
      } as never,
      withUploads,
    );
    const status = (uploadId: string) => reasonOf(Promise.resolve(method(impl, 'queryUploadStatus')({ uploadId }, ctx('Bearer ann'))));
    expect(await status('u-secret')).toBe('PERMISSION_DENIED');
    expect(statuses).toBe(0);
    expect(await status('u-open')).toBe('ok');
    expect(await status('u-unknown')).toBe('ok'); // ann may write somewhere; the handler answers UPLOAD_NOT_FOUND
    const stream = (uploadId: string) =>
      (async function* () {
        yield create(WriteUploadRequestSchema, { uploadId, data: new Uint8Array([1]) });
        yield create(WriteUploadRequestSchema, { data: new Uint8Array([2]) });
      })();
    expect(await reasonOf(Promise.resolve(method(impl, 'writeUpload')(stream('u-secret'), ctx('Bearer ann'))))).toBe('PERMISSION_DENIED');
    expect(written).toBe(0);
    await method(impl, 'writeUpload')(stream('u-open'), ctx('Bearer ann'));
    expect(written).toBe(2);
  });

  test('Health is open: no authentication at all', async () => {
    const { auth, authentications } = setup();
    const impl = authoriseCalls(Health, { check: () => ({ status: 1 }) } as never, auth);
    expect(await method(impl, 'check')({}, ctx())).toEqual({ status: 1 });
    expect(authentications()).toBe(0);
  });

  test('admin calls that are allowed are audited', async () => {
    const { auth, audit } = setup();
    const impl = authoriseCalls(AccessService, { listRoles: () => ({ roles: [] }) } as never, auth);
    expect(await reasonOf(Promise.resolve(method(impl, 'listRoles')({}, ctx('Bearer ann'))))).toBe('PERMISSION_DENIED');
    await method(impl, 'listRoles')({}, ctx('Bearer root'));
    expect(audit.map((e) => `${e.outcome} ${e.principal} ${e.resources.join()}`)).toEqual([
      'denied ann admin access',
      'allowed root admin access',
    ]);
  });

  test('audit records carry the trace id of the call', async () => {
    const { auth, audit } = setup();
    const impl = authoriseCalls(DocumentService, { get: () => ({}) } as never, auth);
    const span = provider.getTracer('spec').startSpan('call');
    await context.with(trace.setSpan(context.active(), span), () =>
      Promise.resolve(method(impl, 'get')(create(GetRequestSchema, { collection: 'secret' }), ctx('Bearer ann'))).catch(() => undefined),
    );
    span.end();
    expect(audit[0]?.traceId).toBe(span.spanContext().traceId);
  });

  test('a method without a rule is refused even for an authenticated caller (the check fails closed)', async () => {
    const { auth } = setup();
    const service = REFLECTION_SERVICES[0];
    const name = service.methods[0]!.localName;
    const impl = authoriseCalls(
      service,
      {
        [name]: async function* () {
          yield {};
        },
      } as never,
      auth,
    );
    const it = method(impl, name)((async function* () {})(), ctx('Bearer root')) as AsyncIterable<unknown>;
    await expect(
      (async () => {
        for await (const _ of it) void _;
      })(),
    ).rejects.toMatchObject({ reason: 'PERMISSION_DENIED' });
  });
});
