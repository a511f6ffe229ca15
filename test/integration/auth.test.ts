/**
 * Issue 14's authentication and authorisation test (docs/security.md,
 * "Authentication and roles"): three server processes with SB_AUTH=on on one
 * real S3 server (versitygw) and Redis, the first admin key from
 * SB_AUTH_BOOTSTRAP_KEY_FILE. Table-driven over every method of every service
 * the registry can serve (rpc/services/index.ts, read from the descriptors so
 * a new RPC joins the table by itself): without credentials every call is
 * UNAUTHENTICATED on the gRPC port and on the Connect port; with a key
 * lacking the collection (or the verb) every call is PERMISSION_DENIED and
 * the target document, lock and object collection are unchanged. A Commit
 * mixing an allowed and a denied collection is denied as a whole; a revoked
 * key stops working on all three servers; Health needs no credentials;
 * reflection and /metrics need a key.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { create, type DescMethod, type DescService } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient, type Transport } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import type { AccessAdmin } from '../../server/src/access/access-admin.js';
import type { DocumentApi } from '../../server/src/api/document-api.js';
import type { LockApi } from '../../server/src/api/lock-api.js';
import type { LogApi } from '../../server/src/api/log-api.js';
import type { ObjectApi } from '../../server/src/api/object-api.js';
import type { AdminApi, QueryApi } from '../../server/src/api/query-api.js';
import type { StreamApi } from '../../server/src/api/stream-api.js';
import { ErrorInfoSchema, RetryInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import { Health, HealthCheckResponse_ServingStatus } from '../../server/src/gen/grpc/health/v1/health_pb.js';
import { ServerReflection } from '../../server/src/gen/grpc/reflection/v1/reflection_pb.js';
import { Verb } from '../../server/src/gen/smarterbase/v1/access_pb.js';
import { AccessService } from '../../server/src/gen/smarterbase/v1/access_service_pb.js';
import { DocumentService } from '../../server/src/gen/smarterbase/v1/document_service_pb.js';
import { LockService } from '../../server/src/gen/smarterbase/v1/lock_service_pb.js';
import { LogService } from '../../server/src/gen/smarterbase/v1/log_service_pb.js';
import { ObjectService } from '../../server/src/gen/smarterbase/v1/object_service_pb.js';
import { registerServices } from '../../server/src/rpc/services/index.js';
import { startRedis, type RedisTestServer } from '../harness/redis-server.js';
import type { S3TestServer } from '../harness/s3-server.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';
import { sharedStackEnv } from '../harness/stack-env.js';
import { startVersitygw } from '../harness/versitygw.js';

jest.setTimeout(300_000);

/** The staleness bound the servers run with (short, so the revocation case ends soon; the test asserts only that it ends). */
const CACHE_MS = 1000;
const BOOTSTRAP = `sbk_${randomBytes(8).toString('hex')}_${randomBytes(32).toString('base64url')}`;
const DENIED = 'denied-c';
const AUDIT_LOG = 'audit-trail';
const ALLOWED = 'allowed-c';

/** Every service the server can register, as the registry lists them (engines are not needed to read descriptors). */
const SERVICES: readonly DescService[] = registerServices({
  api: {} as DocumentApi,
  query: {} as QueryApi,
  admin: {} as AdminApi,
  locks: {} as LockApi,
  streams: {} as StreamApi,
  logs: {} as LogApi,
  objects: {} as ObjectApi,
  access: {} as AccessAdmin,
}).services.map((s) => s.service);

/** Requests whose resource sits below the top level, by `<service>/<method>`; others get `collection`, `name`, `log` set. */
const NESTED: Readonly<Record<string, (target: string) => Record<string, unknown>>> = {
  'smarterbase.v1.AdminService/CreateIndex': (c) => ({ index: { collection: c, name: 'by_v', fields: ['v'] } }),
  'smarterbase.v1.DocumentService/Commit': (c) => ({
    writes: [{ collection: c, id: 'doc1', operation: { case: 'set', value: { data: { v: 2 } } } }],
  }),
  'smarterbase.v1.ObjectService/Upload': (c) => ({ kind: { case: 'header', value: { collection: c, id: 'obj1' } }, finishWrite: true }),
  'smarterbase.v1.ObjectService/StartUpload': (c) => ({ header: { collection: c, id: 'obj1' } }),
};

/** A minimal request of `method` aimed at `target` collection / lock / log names (and upload `uploadId`). */
function requestOf(service: DescService, method: DescMethod, target: string, uploadId = 'u'): unknown {
  const nested = NESTED[`${service.typeName}/${method.name}`];
  const init: Record<string, unknown> = nested === undefined ? {} : nested(target);
  if (nested === undefined) {
    for (const f of method.input.fields) {
      if (f.localName === 'collection') init.collection = target;
      if (f.localName === 'name') init.name = `${target}-lock`;
      if (f.localName === 'log') init.log = `${target}-log`;
      if (f.localName === 'id') init.id = 'doc1';
      if (f.localName === 'ids') init.ids = ['doc1'];
      if (f.localName === 'data' && f.fieldKind === 'message') init.data = { v: 99 };
      if (f.localName === 'lines') init.lines = ['{"v":99}'];
      if (f.localName === 'uploadId') init.uploadId = uploadId;
    }
  }
  return create(method.input, init as never);
}

/** Calls `method` once over `transport` with `headers`; resolves with the error (or undefined when it succeeded). */
async function callOnce(
  transport: Transport,
  service: DescService,
  method: DescMethod,
  request: unknown,
  headers: Record<string, string>,
): Promise<ConnectError | undefined> {
  const client = createClient(service, transport) as unknown as Record<string, (req: unknown, opts: unknown) => unknown>;
  const fn = client[method.localName]!;
  const opts = { headers, signal: AbortSignal.timeout(30_000) };
  try {
    if (method.methodKind === 'unary') await fn(request, opts);
    else if (method.methodKind === 'client_streaming')
      await fn(
        (async function* () {
          yield request;
        })(),
        opts,
      );
    else {
      const input =
        method.methodKind === 'bidi_streaming'
          ? (async function* () {
              yield request;
            })()
          : request;
      // Reading one response is enough: a refused stream fails before its first.
      for await (const _ of fn(input, opts) as AsyncIterable<unknown>) break;
    }
    return undefined;
  } catch (e) {
    return ConnectError.from(e);
  }
}

const reasonOf = (e: ConnectError | undefined): string | undefined => e?.findDetails(ErrorInfoSchema)[0]?.reason;
const outcomeOf = (e: ConnectError | undefined): string => (e === undefined ? 'OK' : `${Code[e.code]}/${reasonOf(e) ?? '-'}`);
const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

describe('authentication and roles on 3 servers over S3 (versitygw) + Redis', () => {
  let s3: S3TestServer | undefined;
  let redis: RedisTestServer | undefined;
  let servers: ServerProcess[] = [];
  let dir = '';
  const grpc = (i: number): Transport => createGrpcTransport({ baseUrl: servers[i]!.grpcUrl });
  const connect = (i: number): Transport =>
    createConnectTransport({ baseUrl: `http://127.0.0.1:${servers[i]!.httpPort}`, httpVersion: '2' });
  const access = (i = 0) => createClient(AccessService, grpc(i));
  const docs = (i = 0) => createClient(DocumentService, grpc(i));
  let idp: { privateKey: KeyLike; publicKey: KeyLike };
  /** A JWT of the test's identity provider for `sub`, signed with its key (or another issuer's name). */
  const jwtFor = (sub: string, issuer = 'https://idp.test'): Promise<string> =>
    new SignJWT({ sub })
      .setProtectedHeader({ alg: 'ES256', kid: 'idp-1' })
      .setIssuer(issuer)
      .setAudience('smarterbase')
      .setExpirationTime('10m')
      .sign(idp.privateKey);
  /** Keys of principals made in beforeAll. */
  const keys = { outsider: '', reader: '' };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-auth-'));
    const keyFile = join(dir, 'bootstrap.key');
    writeFileSync(keyFile, `${BOOTSTRAP}\n`, { mode: 0o600 });
    const jwksFile = join(dir, 'jwks.json');
    idp = await generateKeyPair('ES256');
    writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(idp.publicKey)), kid: 'idp-1', alg: 'ES256' }] }));
    s3 = await startVersitygw('auth');
    redis = await startRedis();
    const env = {
      ...sharedStackEnv({ s3: s3, redis: redis }),
      SB_AUTH: 'on',
      SB_AUTH_CACHE_MS: String(CACHE_MS),
      SB_AUTH_BOOTSTRAP_KEY_FILE: keyFile,
      SB_AUDIT_LOG: AUDIT_LOG,
      SB_AUTH_JWKS_FILE: jwksFile,
      SB_AUTH_JWT_ISSUER: 'https://idp.test',
      SB_AUTH_JWT_AUDIENCE: 'smarterbase',
    };
    // All three at once: they race to store the bootstrap key, and one conditional write wins.
    const started = await Promise.allSettled([0, 1, 2].map(() => startServer(env)));
    servers = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    for (const r of started) if (r.status === 'rejected') throw r.reason;

    const admin = bearer(BOOTSTRAP);
    const all = [Verb.READ, Verb.WRITE, Verb.ADMIN, Verb.LOCK, Verb.STREAM];
    await access().putRole(
      { role: { name: 'allowed-all', permissions: [{ verbs: all, collections: ['allowed*'], locks: ['allowed*'], logs: ['allowed*'] }] } },
      { headers: admin },
    );
    await access().putRole(
      { role: { name: 'allowed-read', permissions: [{ verbs: [Verb.READ], collections: ['allowed*'] }] } },
      { headers: admin },
    );
    await access().setPrincipal({ principal: { name: 'outsider', roles: ['allowed-all'] } }, { headers: admin });
    await access().setPrincipal({ principal: { name: 'reader', roles: ['allowed-read'] } }, { headers: admin });
    keys.outsider = (await access().createApiKey({ principal: 'outsider' }, { headers: admin })).secret;
    keys.reader = (await access().createApiKey({ principal: 'reader' }, { headers: admin })).secret;
    // The targets the denied calls aim at.
    await docs().put({ collection: DENIED, id: 'doc1', data: { v: 1 } }, { headers: admin });
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await redis?.stop();
    await s3?.stop();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  test('the registry table covers every service, AccessService included', () => {
    expect(SERVICES.map((s) => s.typeName)).toEqual(
      expect.arrayContaining(['smarterbase.v1.AccessService', 'smarterbase.v1.DocumentService', 'grpc.health.v1.Health']),
    );
  });

  test('every method but Health without credentials is UNAUTHENTICATED, on the gRPC port and on the Connect port', async () => {
    const wrong: string[] = [];
    let calls = 0;
    for (const service of SERVICES) {
      if (service.typeName === Health.typeName) continue;
      for (const method of service.methods) {
        for (const [port, transport] of [
          ['grpc', grpc(calls % 3)],
          ['connect', connect(calls % 3)],
        ] as const) {
          calls++;
          const got = outcomeOf(await callOnce(transport, service, method, requestOf(service, method, ALLOWED), {}));
          if (got !== 'Unauthenticated/UNAUTHENTICATED') wrong.push(`${port} ${service.typeName}/${method.name}: ${got}`);
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(calls).toBeGreaterThanOrEqual(100); // 50 methods on two ports today: the table is not empty
  });

  test('a key that is not valid is UNAUTHENTICATED / INVALID_API_KEY', async () => {
    const forged = `sbk_${BOOTSTRAP.slice(4, 20)}_${randomBytes(32).toString('base64url')}`;
    const e = await callOnce(grpc(1), DocumentService, DocumentService.method.get, { collection: ALLOWED, id: 'x' }, bearer(forged));
    expect(outcomeOf(e)).toBe('Unauthenticated/INVALID_API_KEY');
  });

  test('every method with a key lacking the collection (or the verb) is PERMISSION_DENIED, and nothing changed', async () => {
    const before = await docs().get({ collection: DENIED, id: 'doc1' }, { headers: bearer(BOOTSTRAP) });
    // Calls by upload id need write on that upload's collection: the outsider may write ALLOWED, not this upload's DENIED.
    const objectsAdmin = createClient(ObjectService, grpc(0));
    const { uploadId } = await objectsAdmin.startUpload(
      { header: { collection: DENIED, id: 'obj-by-id' } },
      { headers: bearer(BOOTSTRAP) },
    );
    const wrong: string[] = [];
    let i = 0;
    for (const service of SERVICES) {
      if (service.typeName === Health.typeName) continue;
      for (const method of service.methods) {
        for (const transport of [grpc(i % 3), connect((i + 1) % 3)]) {
          const e = await callOnce(transport, service, method, requestOf(service, method, DENIED, uploadId), bearer(keys.outsider));
          const got = outcomeOf(e);
          if (got !== 'PermissionDenied/PERMISSION_DENIED') wrong.push(`${service.typeName}/${method.name}: ${got}`);
          const info = e?.findDetails(ErrorInfoSchema)[0];
          if (info !== undefined && (info.metadata.verb === undefined || info.metadata.resource === undefined))
            wrong.push(`${service.typeName}/${method.name}: no verb/resource in ErrorInfo`);
        }
        i++;
      }
    }
    expect(wrong).toEqual([]);
    // An upload id a server does not know needs write on some collection: the reader has none.
    const unknown = await callOnce(grpc(1), ObjectService, ObjectService.method.queryUploadStatus, { uploadId: 'u' }, bearer(keys.reader));
    expect(outcomeOf(unknown)).toBe('PermissionDenied/PERMISSION_DENIED');
    const admin = bearer(BOOTSTRAP);
    const upload = await createClient(ObjectService, grpc(1)).queryUploadStatus({ uploadId }, { headers: admin });
    expect([upload.committedSize, upload.complete]).toEqual([0n, false]); // neither written, completed nor aborted
    const after = await docs(2).get({ collection: DENIED, id: 'doc1' }, { headers: admin });
    expect(after.document?.etag).toBe(before.document?.etag);
    expect(after.document?.data).toEqual({ v: 1 });
    expect((await createClient(LockService, grpc(1)).get({ name: `${DENIED}-lock` }, { headers: admin })).held).toBe(false);
    expect((await createClient(ObjectService, grpc(2)).listObjects({ collection: DENIED }, { headers: admin })).objects).toEqual([]);
    expect((await access().listApiKeys({ principal: 'outsider' }, { headers: admin })).keys).toHaveLength(1);
  });

  test('the same key is allowed on its own collections (the denials above are the check, not a broken key)', async () => {
    await docs(1).put({ collection: ALLOWED, id: 'a', data: { v: 1 } }, { headers: bearer(keys.outsider) });
    expect((await docs(2).get({ collection: ALLOWED, id: 'a' }, { headers: bearer(keys.reader) })).document?.data).toEqual({ v: 1 });
    const e = await callOnce(
      grpc(0),
      DocumentService,
      DocumentService.method.put,
      { collection: ALLOWED, id: 'b', data: { v: 1 } },
      bearer(keys.reader),
    );
    expect(outcomeOf(e)).toBe('PermissionDenied/PERMISSION_DENIED');
    expect(e?.findDetails(ErrorInfoSchema)[0]?.metadata).toMatchObject({
      principal: 'reader',
      verb: 'write',
      resource: `collection:${ALLOWED}`,
    });
  });

  test('client streams pass the check intact: Upload and WriteUpload with a key allowed to write store every byte', async () => {
    const data = randomBytes(200_000);
    for (const [i, transport] of [grpc(0), connect(1)].entries()) {
      const objects = createClient(ObjectService, transport);
      const h = { headers: bearer(keys.outsider) };
      const uploaded = await objects.upload(
        (async function* () {
          yield { kind: { case: 'header' as const, value: { collection: ALLOWED, id: `up${i}` } } };
          yield { kind: { case: 'data' as const, value: data.subarray(0, 100_000) } };
          yield { kind: { case: 'data' as const, value: data.subarray(100_000) }, finishWrite: true };
        })(),
        h,
      );
      expect(uploaded.object?.sizeBytes).toBe(BigInt(data.length));
      const { uploadId } = await objects.startUpload({ header: { collection: ALLOWED, id: `resumable${i}` } }, h);
      const written = await objects.writeUpload(
        (async function* () {
          yield { uploadId, writeOffset: 0n, data: data.subarray(0, 100_000) };
          yield { data: data.subarray(100_000), finishWrite: true };
        })(),
        h,
      );
      expect(written.committedSize).toBe(BigInt(data.length));
      const stat = await createClient(ObjectService, grpc(2)).statObject(
        { collection: ALLOWED, id: `up${i}` },
        { headers: bearer(keys.reader) },
      );
      expect(stat.object?.sizeBytes).toBe(BigInt(data.length));
    }
  });

  test('a Commit mixing an allowed and a denied collection is denied as a whole: nothing is written', async () => {
    const commit = {
      writes: [
        { collection: ALLOWED, id: 'mixed', operation: { case: 'set' as const, value: { data: { v: 1 } } } },
        { collection: DENIED, id: 'doc1', operation: { case: 'set' as const, value: { data: { v: 3 } } } },
      ],
    };
    const e = await callOnce(grpc(1), DocumentService, DocumentService.method.commit, commit, bearer(keys.outsider));
    expect(outcomeOf(e)).toBe('PermissionDenied/PERMISSION_DENIED');
    expect(e?.findDetails(ErrorInfoSchema)[0]?.metadata).toMatchObject({ verb: 'write', resource: `collection:${DENIED}` });
    const admin = bearer(BOOTSTRAP);
    expect((await docs(0).exists({ collection: ALLOWED, id: 'mixed' }, { headers: admin })).exists).toBe(false);
    expect((await docs(2).get({ collection: DENIED, id: 'doc1' }, { headers: admin })).document?.data).toEqual({ v: 1 });
  });

  test('a revoked key is refused by all three servers once their caches pass the staleness bound', async () => {
    const admin = bearer(BOOTSTRAP);
    const { secret, key } = await access(0).createApiKey({ principal: 'reader' }, { headers: admin });
    const get = (i: number) =>
      callOnce(grpc(i), DocumentService, DocumentService.method.get, { collection: ALLOWED, id: 'a' }, bearer(secret));
    for (const i of [0, 1, 2]) expect(outcomeOf(await get(i))).toBe('OK'); // every server has it cached
    await access(1).revokeApiKey({ keyId: key!.keyId }, { headers: admin });
    const refused = new Set<number>();
    const guard = Date.now() + 120_000; // a hang guard, not a speed assertion
    while (refused.size < 3 && Date.now() < guard) {
      for (const i of [0, 1, 2]) if (outcomeOf(await get(i)) === 'Unauthenticated/API_KEY_REVOKED') refused.add(i);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect([...refused].sort()).toEqual([0, 1, 2]);
    for (const i of [0, 1, 2]) expect(outcomeOf(await get(i))).toBe('Unauthenticated/API_KEY_REVOKED'); // and it stays refused
  });

  test('Health answers without credentials on both ports', async () => {
    for (const transport of [grpc(0), connect(1)]) {
      const res = await createClient(Health, transport).check({ service: '' });
      expect(res.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    }
  });

  test('reflection and /metrics need a key by default', async () => {
    const list = { messageRequest: { case: 'listServices' as const, value: '' } };
    expect(outcomeOf(await callOnce(grpc(0), ServerReflection, ServerReflection.method.serverReflectionInfo, list, {}))).toBe(
      'Unauthenticated/UNAUTHENTICATED',
    );
    expect(
      outcomeOf(await callOnce(grpc(0), ServerReflection, ServerReflection.method.serverReflectionInfo, list, bearer(keys.reader))),
    ).toBe('OK');
    const url = `http://127.0.0.1:${servers[2]!.metricsPort}/metrics`;
    expect((await fetch(url)).status).toBe(401);
    const scraped = await fetch(url, { headers: bearer(keys.reader) });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('# HELP');
  });

  test('a principal over its own rate gets RESOURCE_EXHAUSTED / RATE_LIMITED on every server (one shared bucket) while another is unaffected', async () => {
    const admin = bearer(BOOTSTRAP);
    // One call per 100 s after a burst of 3: within this test only the burst can pass, on whichever servers.
    await access(0).setPrincipal(
      { principal: { name: 'limited', roles: ['allowed-all'], limits: { callsPerSecond: 0.01, burst: 3 } } },
      { headers: admin },
    );
    const { secret } = await access(0).createApiKey({ principal: 'limited' }, { headers: admin });
    const get = (i: number, key: string) =>
      callOnce(grpc(i), DocumentService, DocumentService.method.exists, { collection: ALLOWED, id: 'rate' }, bearer(key));
    // Wait until every server has the principal's record (its limits) cached: an unlimited view would let calls through.
    await new Promise((r) => setTimeout(r, 2 * CACHE_MS + 500));
    const limited: string[] = [];
    const other: string[] = [];
    for (let round = 0; round < 4; round++) {
      for (const i of [0, 1, 2]) {
        limited.push(outcomeOf(await get(i, secret)));
        other.push(outcomeOf(await get(i, keys.outsider)));
      }
    }
    expect(limited.filter((o) => o === 'OK')).toHaveLength(3);
    expect(limited.filter((o) => o === 'ResourceExhausted/RATE_LIMITED')).toHaveLength(9);
    expect(other.every((o) => o === 'OK')).toBe(true);
    const refused = await get(1, secret);
    const delay = refused?.findDetails(RetryInfoSchema)[0]?.retryDelay;
    expect(Number(delay?.seconds ?? 0)).toBeGreaterThan(0);
  });

  test("a JWT of the configured identity provider authenticates as its principal (with that principal's roles); another issuer's is INVALID_TOKEN", async () => {
    const put = (token: string, collection: string) =>
      callOnce(grpc(2), DocumentService, DocumentService.method.put, { collection, id: 'jwt', data: { v: 1 } }, bearer(token));
    expect(outcomeOf(await put(await jwtFor('outsider'), ALLOWED))).toBe('OK');
    expect(outcomeOf(await put(await jwtFor('outsider'), DENIED))).toBe('PermissionDenied/PERMISSION_DENIED');
    expect(outcomeOf(await put(await jwtFor('outsider', 'https://evil.test'), ALLOWED))).toBe('Unauthenticated/INVALID_TOKEN');
  });

  test('audit records of refused and admin calls from all servers are appended to the audit log (SB_AUDIT_LOG)', async () => {
    for (const i of [0, 1, 2])
      await callOnce(grpc(i), DocumentService, DocumentService.method.get, { collection: DENIED, id: 'doc1' }, bearer(keys.reader));
    const logs = createClient(LogService, grpc(0));
    const wanted = (records: Record<string, unknown>[]) =>
      records.filter((r) => r.outcome === 'denied' && r.method === '/smarterbase.v1.DocumentService/Get' && r.principal === 'reader')
        .length >= 3 && records.some((r) => r.outcome === 'allowed' && r.method === '/smarterbase.v1.AccessService/PutRole');
    let records: Record<string, unknown>[] = [];
    const guard = Date.now() + 60_000; // appends are fire and forget: wait for them (a hang guard)
    while (!wanted(records) && Date.now() < guard) {
      records = [];
      for await (const res of logs.readLog({ log: AUDIT_LOG }, { headers: bearer(BOOTSTRAP) })) {
        for (const e of res.entries) records.push(JSON.parse(e.line) as Record<string, unknown>);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(wanted(records)).toBe(true);
    expect(records.every((r) => typeof r.time === 'string' && typeof r.method === 'string')).toBe(true);
    // Reading the audit log is itself a log read: a key without read on it is refused.
    expect(outcomeOf(await callOnce(grpc(1), LogService, LogService.method.readLog, { log: AUDIT_LOG }, bearer(keys.reader)))).toBe(
      'PermissionDenied/PERMISSION_DENIED',
    );
  });
});
