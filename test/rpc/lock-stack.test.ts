/**
 * LockService and guarded writes through a real RpcServer over the real
 * stack (LockManager + FenceChecker over a LocalCoordinator, DocumentEngine
 * over a MemoryBlobStore), on both ports: the fencing scenario (A's
 * lease expires, B acquires, A's guarded write is refused and B's succeeds)
 * and Hold cancellation releasing the lock.
 */
import { Code, ConnectError, createClient, type Transport } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { LocalCoordinator } from '../../server/src/coordination/local/local-coordinator.js';
import { DocumentEngine } from '../../server/src/engine/document-engine.js';
import { ErrorInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import { DocumentService } from '../../server/src/gen/smarterbase/v1/document_service_pb.js';
import { LockService } from '../../server/src/gen/smarterbase/v1/lock_service_pb.js';
import { FenceChecker } from '../../server/src/locks/fence-checker.js';
import { LockManager } from '../../server/src/locks/lock-manager.js';
import { RpcServer } from '../../server/src/rpc/server/rpc-server.js';
import { MemoryBlobStore } from '../../server/src/storage/memory/memory-store.js';

let server: RpcServer;
let transports: Record<'grpc' | 'connect', Transport>;

beforeAll(async () => {
  const coordinator = new LocalCoordinator();
  server = new RpcServer({
    api: new DocumentEngine({ coordinator: new LocalCoordinator(), store: new MemoryBlobStore(), fences: new FenceChecker(coordinator) }),
    locks: new LockManager({ coordinator }),
    grpcPort: 0,
    httpPort: 0,
  });
  const p = await server.start();
  transports = {
    grpc: createGrpcTransport({ baseUrl: `http://127.0.0.1:${p.grpcPort}` }),
    connect: createConnectTransport({ baseUrl: `http://127.0.0.1:${p.httpPort}`, httpVersion: '1.1' }),
  };
});

afterAll(async () => {
  await server.shutdown(100);
});

async function caught(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error('expected the call to fail');
}

describe.each(['grpc', 'connect'] as const)('real lock stack over %s', (kind) => {
  test("fencing: A expires, B acquires, A's guarded write is LOCK_NOT_HELD and B's succeeds", async () => {
    const locks = createClient(LockService, transports[kind]);
    const docs = createClient(DocumentService, transports[kind]);
    const name = `fence-${kind}`;
    const a = await locks.acquire({ name, ttl: { seconds: 0n, nanos: 150_000_000 } });
    await docs.put({ collection: 'acct', id: kind, data: { by: 'A' }, lockGuard: { name, fencingToken: a.fencingToken } });
    await new Promise((r) => setTimeout(r, 300));
    const b = await locks.acquire({ name, ttl: { seconds: 5n, nanos: 0 } });
    expect(b.fencingToken).toBeGreaterThan(a.fencingToken);
    const e = await caught(
      docs.put({ collection: 'acct', id: kind, data: { by: 'A-late' }, lockGuard: { name, fencingToken: a.fencingToken } }),
    );
    expect(e.code).toBe(Code.FailedPrecondition);
    const info = e.findDetails(ErrorInfoSchema)[0];
    expect(info?.reason).toBe('LOCK_NOT_HELD');
    expect(info?.metadata).toEqual(
      expect.objectContaining({ name, fencingToken: String(a.fencingToken), currentFencingToken: String(b.fencingToken) }),
    );
    await docs.put({ collection: 'acct', id: kind, data: { by: 'B' }, lockGuard: { name, fencingToken: b.fencingToken } });
    expect((await docs.get({ collection: 'acct', id: kind })).document?.data).toEqual({ by: 'B' });
    expect((await locks.release({ name, leaseId: b.leaseId })).released).toBe(true);
  });

  test('Hold: granted, busy for others while open, released when the client cancels', async () => {
    const locks = createClient(LockService, transports[kind]);
    const name = `hold-${kind}`;
    const ac = new AbortController();
    const it = locks.hold({ name, ttl: { seconds: 1n, nanos: 0 }, holder: 'h' }, { signal: ac.signal })[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.done).toBe(false);
    const token = first.value!.fencingToken;
    expect(await locks.get({ name })).toEqual(expect.objectContaining({ held: true, holder: 'h', fencingToken: token }));
    const busy = await caught(locks.acquire({ name, ttl: { seconds: 1n, nanos: 0 } }));
    expect(busy.code).toBe(Code.Aborted);
    // A renewal arrives within the ttl and keeps the same token.
    const second = await it.next();
    expect(second.value!.fencingToken).toBe(token);
    const abortedAt = Date.now();
    ac.abort();
    await it.next().catch(() => undefined);
    const end = Date.now() + 3000;
    while ((await locks.get({ name })).held && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect((await locks.get({ name })).held).toBe(false);
    // Released well before the just-renewed 1 s lease could have expired on its own.
    expect(Date.now() - abortedAt).toBeLessThan(700);
    const next = await locks.acquire({ name, ttl: { seconds: 1n, nanos: 0 } });
    expect(next.fencingToken).toBeGreaterThan(token);
  });
});
