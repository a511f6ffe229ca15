/**
 * LockService and the lock guards of writes through a real RpcServer (both
 * ports: gRPC to grpc-js, Connect JSON over HTTP/1.1) with a fake LockApi:
 * request translation (durations, bigint tokens, no lease id from Get),
 * the error table for LOCK_HELD / LOCK_NOT_HELD, Hold streaming and
 * cancellation releasing the lock, guards reaching the engine, health,
 * reflection, and UNIMPLEMENTED without a LockApi.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { Code, ConnectError, createClient, type Client, type Transport } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { DocumentEngine } from '../../server/src/engine/document-engine.js';
import type { DocumentApi } from '../../server/src/api/document-api.js';
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import { Health, HealthCheckResponse_ServingStatus } from '../../server/src/gen/grpc/health/v1/health_pb.js';
import { DocumentService } from '../../server/src/gen/smarterbase/v1/document_service_pb.js';
import { LockService } from '../../server/src/gen/smarterbase/v1/lock_service_pb.js';
import { RpcServer } from '../../server/src/rpc/server/rpc-server.js';
import { MemoryBlobStore } from '../../server/src/storage/memory/memory-store.js';
import { FakeLockApi } from './lock-fakes.js';
import { LocalCoordinator } from '../../server/src/coordination/local/local-coordinator.js';

const grpcurlBin = join(__dirname, '..', '..', '.tools', 'bin', 'grpcurl');
function grpcurl(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(grpcurlBin, args, { timeout: 20000 }, (error, stdout) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: stdout });
    });
  });
}

/**
 * The engine, recording the input of every put / putIfMatch / delete (the
 * Delete RPC calls deleteWithRevision) and passing it on without its
 * lockGuard (the fence check is the engine's, tested there).
 */
function recording(api: DocumentApi, inputs: unknown[]): DocumentApi {
  return new Proxy(api, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (prop !== 'put' && prop !== 'putIfMatch' && prop !== 'delete' && prop !== 'deleteWithRevision') return v;
      return (ctx: unknown, input: unknown) => {
        inputs.push({ method: prop === 'deleteWithRevision' ? 'delete' : prop, input });
        const { lockGuard: _g, ...rest } = input as Record<string, unknown>;
        return (v as (c: unknown, i: unknown) => unknown).call(target, ctx, rest);
      };
    },
  });
}

const sec = (s: number, ms = 0): { seconds: bigint; nanos: number } => ({ seconds: BigInt(s), nanos: ms * 1_000_000 });

async function caught(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error('expected the call to fail');
}

async function eventually(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

let fake: FakeLockApi;
const inputs: unknown[] = [];
const internal: unknown[] = [];
let server: RpcServer;
let bare: RpcServer;
let grpcPort: number;
let transports: Record<'grpc' | 'connect', Transport>;
let bareTransports: Record<'grpc' | 'connect', Transport>;

function both(g: number, h: number): Record<'grpc' | 'connect', Transport> {
  return {
    grpc: createGrpcTransport({ baseUrl: `http://127.0.0.1:${g}` }),
    connect: createConnectTransport({ baseUrl: `http://127.0.0.1:${h}`, httpVersion: '1.1' }),
  };
}

beforeAll(async () => {
  fake = new FakeLockApi();
  server = new RpcServer({
    api: recording(new DocumentEngine({ coordinator: new LocalCoordinator(), store: new MemoryBlobStore() }), inputs),
    locks: fake,
    grpcPort: 0,
    httpPort: 0,
    logInternal: (e) => internal.push(e),
  });
  const ports = await server.start();
  grpcPort = ports.grpcPort;
  transports = both(ports.grpcPort, ports.httpPort);
  bare = new RpcServer({
    api: new DocumentEngine({ coordinator: new LocalCoordinator(), store: new MemoryBlobStore() }),
    grpcPort: 0,
    httpPort: 0,
  });
  const bp = await bare.start();
  bareTransports = both(bp.grpcPort, bp.httpPort);
});

afterAll(async () => {
  await server.shutdown(100);
  await bare.shutdown(100);
});

describe.each(['grpc', 'connect'] as const)('LockService over %s', (kind) => {
  let locks: Client<typeof LockService>;
  let docs: Client<typeof DocumentService>;
  beforeAll(() => {
    locks = createClient(LockService, transports[kind]);
    docs = createClient(DocumentService, transports[kind]);
  });

  test('Acquire → lease, bigint token and expiry; Get shows holder, token, expiry but no lease id; Release frees', async () => {
    const name = `acq-${kind}`;
    const before = Date.now();
    const a = await locks.acquire({ name, ttl: sec(2, 500), holder: 'worker-1' });
    expect(a.leaseId).toMatch(/^lease-/);
    expect(a.fencingToken).toBe(1n);
    const exp = Number(a.expireTime!.seconds) * 1000 + a.expireTime!.nanos / 1e6;
    expect(exp).toBeGreaterThanOrEqual(before + 2500 - 1);
    expect(exp).toBeLessThanOrEqual(Date.now() + 2500 + 1);
    const call = fake.calls.filter((c) => c.method === 'acquire').at(-1)!;
    expect(call.args[0]).toEqual({ name, ttlMs: 2500, waitMs: 0, holder: 'worker-1' });

    const g = await locks.get({ name });
    expect(g).toEqual(expect.objectContaining({ held: true, holder: 'worker-1', fencingToken: 1n }));
    expect(JSON.stringify(g, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).not.toContain(a.leaseId);

    const r = await locks.renew({ name, leaseId: a.leaseId, ttl: sec(5) });
    expect(r.fencingToken).toBe(1n);
    expect(fake.calls.filter((c) => c.method === 'renew').at(-1)!.args).toEqual([name, a.leaseId, 5000]);

    expect((await locks.release({ name, leaseId: a.leaseId })).released).toBe(true);
    expect((await locks.release({ name, leaseId: a.leaseId })).released).toBe(false);
    expect(await locks.get({ name })).toEqual(expect.objectContaining({ held: false, holder: '', fencingToken: 0n }));
    expect((await locks.acquire({ name, ttl: sec(1) })).fencingToken).toBe(2n);
  });

  test('busy → ABORTED / LOCK_HELD with metadata and RetryInfo of the remaining lease; wait_timeout reaches the engine in ms', async () => {
    const name = `busy-${kind}`;
    await locks.acquire({ name, ttl: sec(30), holder: 'first' });
    const e = await caught(locks.acquire({ name, ttl: sec(1), waitTimeout: sec(0, 250) }));
    expect(e.code).toBe(Code.Aborted);
    expect(e.findDetails(ErrorInfoSchema)[0]).toEqual(
      expect.objectContaining({ reason: 'LOCK_HELD', domain: 'smarterbase.v1', metadata: { name, holder: 'first' } }),
    );
    const delay = e.findDetails(RetryInfoSchema)[0]!.retryDelay!;
    const delayMs = Number(delay.seconds) * 1000 + delay.nanos / 1e6;
    expect(delayMs).toBeGreaterThan(25_000);
    expect(delayMs).toBeLessThanOrEqual(30_000);
    expect(fake.calls.filter((c) => c.method === 'acquire').at(-1)!.args[0]).toEqual(expect.objectContaining({ waitMs: 250 }));
  });

  test('Renew of a lease that is not current → FAILED_PRECONDITION / LOCK_NOT_HELD', async () => {
    const e = await caught(locks.renew({ name: `none-${kind}`, leaseId: 'nope', ttl: sec(1) }));
    expect(e.code).toBe(Code.FailedPrecondition);
    expect(e.findDetails(ErrorInfoSchema)[0]?.reason).toBe('LOCK_NOT_HELD');
  });

  test.each([
    ['missing ttl', {}, 'ttl'],
    ['ttl below 100 ms', { ttl: sec(0, 99) }, 'ttl'],
    ['ttl above 10 minutes', { ttl: sec(601) }, 'ttl'],
    ['negative wait', { ttl: sec(1), waitTimeout: { seconds: -1n, nanos: 0 } }, 'wait_timeout'],
  ])('Acquire with %s → INVALID_ARGUMENT naming the field, engine not called', async (_what, extra, field) => {
    const n = fake.calls.length;
    const e = await caught(locks.acquire({ name: `inv-${kind}`, ...extra }));
    expect(e.code).toBe(Code.InvalidArgument);
    expect(e.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field).toBe(field);
    expect(fake.calls.length).toBe(n);
  });

  test('Hold: one message per lease (same token), and cancelling the stream releases the lock', async () => {
    const name = `hold-${kind}`;
    const ac = new AbortController();
    const got: bigint[] = [];
    const stream = locks.hold({ name, ttl: sec(1, 200), holder: 'h' }, { signal: ac.signal });
    const done = (async () => {
      for await (const m of stream) {
        got.push(m.fencingToken);
        expect(m.expireTime).toBeDefined();
        if (got.length === 3) ac.abort();
      }
    })();
    const err = await caught(done);
    expect(err.code).toBe(Code.Canceled);
    expect(got).toEqual([1n, 1n, 1n]);
    expect(fake.calls.filter((c) => c.method === 'hold').at(-1)!.args[0]).toEqual({ name, ttlMs: 1200, waitMs: 0, holder: 'h' });
    await eventually(() => !fake.isHeld(name));
    expect(fake.releases.filter((n) => n === name)).toHaveLength(1);
    expect((await locks.acquire({ name, ttl: sec(1) })).fencingToken).toBe(2n);
  });

  test('Hold without ttl uses the engine default; below 1 s is INVALID_ARGUMENT', async () => {
    const name = `hold-default-${kind}`;
    const ac = new AbortController();
    await caught(
      (async () => {
        for await (const m of locks.hold({ name }, { signal: ac.signal })) {
          expect(m.fencingToken).toBe(1n);
          ac.abort();
        }
      })(),
    );
    expect(fake.calls.filter((c) => c.method === 'hold').at(-1)!.args[0]).toEqual({ name, waitMs: 0 });
    await eventually(() => !fake.isHeld(name));
    const e = await caught(
      (async () => {
        for await (const _m of locks.hold({ name, ttl: sec(0, 999) })) break;
      })(),
    );
    expect(e.code).toBe(Code.InvalidArgument);
  });

  test('Hold on a busy lock → ABORTED / LOCK_HELD; a lost lease ends the stream with LOCK_NOT_HELD', async () => {
    const name = `hold-busy-${kind}`;
    await locks.acquire({ name, ttl: sec(30) });
    const busy = await caught(
      (async () => {
        for await (const _m of locks.hold({ name, ttl: sec(1) })) break;
      })(),
    );
    expect(busy.code).toBe(Code.Aborted);
    expect(busy.findDetails(ErrorInfoSchema)[0]?.reason).toBe('LOCK_HELD');

    const lost = `hold-lost-${kind}`;
    let seen = 0;
    const e = await caught(
      (async () => {
        for await (const _m of locks.hold({ name: lost, ttl: sec(1) })) {
          seen++;
          fake.loseLease(lost);
        }
      })(),
    );
    expect(seen).toBe(1);
    expect(e.code).toBe(Code.FailedPrecondition);
    expect(e.findDetails(ErrorInfoSchema)[0]?.reason).toBe('LOCK_NOT_HELD');
  });

  test('an unexpected engine failure is INTERNAL with a generic message', async () => {
    const e = await caught(locks.acquire({ name: 'boom', ttl: sec(1) }));
    expect(e.code).toBe(Code.Internal);
    expect(e.rawMessage).toBe('internal error');
    expect(internal.some((x) => x instanceof Error && x.message === 'secret internal failure')).toBe(true);
  });

  test('lock guards on Put, PutIfMatch and Delete reach the engine with bigint tokens; absent → no lockGuard', async () => {
    const col = `guards_${kind}`;
    inputs.length = 0;
    const big = 9_007_199_254_740_993n; // beyond 2^53: must survive as a bigint
    const put = await docs.put({ collection: col, id: 'a', data: { n: 1 }, lockGuard: { name: 'L', fencingToken: big } });
    await docs.putIfMatch({
      collection: col,
      id: 'a',
      data: { n: 2 },
      etag: put.document!.etag,
      lockGuard: { name: 'L', fencingToken: 7n },
    });
    await docs.put({ collection: col, id: 'b', data: { n: 1 } });
    await docs.delete({ collection: col, id: 'a', lockGuard: { name: 'M', fencingToken: 3n } });
    expect(inputs).toEqual([
      { method: 'put', input: expect.objectContaining({ id: 'a', lockGuard: { name: 'L', fencingToken: big } }) },
      { method: 'putIfMatch', input: expect.objectContaining({ id: 'a', lockGuard: { name: 'L', fencingToken: 7n } }) },
      { method: 'put', input: expect.not.objectContaining({ lockGuard: expect.anything() }) },
      { method: 'delete', input: expect.objectContaining({ id: 'a', lockGuard: { name: 'M', fencingToken: 3n } }) },
    ]);
    const e = await caught(docs.put({ collection: col, id: 'c', data: { n: 1 }, lockGuard: { name: '', fencingToken: 1n } }));
    expect(e.code).toBe(Code.InvalidArgument);
    expect(e.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field).toBe('lock_guard.name');
  });

  test('health reports LockService SERVING; a server without a LockApi answers UNIMPLEMENTED', async () => {
    expect((await createClient(Health, transports[kind]).check({ service: 'smarterbase.v1.LockService' })).status).toBe(
      HealthCheckResponse_ServingStatus.SERVING,
    );
    const e = await caught(createClient(LockService, bareTransports[kind]).get({ name: 'x' }));
    expect(e.code).toBe(Code.Unimplemented);
  });
});

test('reflection lists and describes LockService and LockGuard', async () => {
  const addr = `127.0.0.1:${grpcPort}`;
  const list = await grpcurl(['-plaintext', addr, 'list']);
  expect(list.code).toBe(0);
  expect(list.out).toContain('smarterbase.v1.LockService');
  const svc = await grpcurl(['-plaintext', addr, 'describe', 'smarterbase.v1.LockService']);
  expect(svc.out).toContain('rpc Hold ( .smarterbase.v1.HoldRequest ) returns ( stream .smarterbase.v1.HoldResponse )');
  const guard = await grpcurl(['-plaintext', addr, 'describe', 'smarterbase.v1.LockGuard']);
  expect(guard.out).toContain('fencing_token');
});
