import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, createRouterTransport, type ServiceImpl } from '@connectrpc/connect';
import { createClient } from './client.js';
import { type SmarterBaseError, isLockHeld, isLockNotHeld } from './errors.js';
import { ErrorInfoSchema, RetryInfoSchema } from './gen/google/rpc/error_details_pb.js';
import { DocumentService } from './gen/smarterbase/v1/document_service_pb.js';
import { LockService } from './gen/smarterbase/v1/lock_service_pb.js';
import { msToDuration, timestampToDate } from './locks.js';

const held = (name: string) =>
  new ConnectError('held', Code.Aborted, undefined, [
    { desc: ErrorInfoSchema, value: { reason: 'LOCK_HELD', domain: 'smarterbase.v1', metadata: { name, holder: 'other' } } },
    { desc: RetryInfoSchema, value: { retryDelay: { seconds: 1n, nanos: 500_000_000 } } },
  ]);
const notHeld = () =>
  new ConnectError('lost', Code.FailedPrecondition, undefined, [
    { desc: ErrorInfoSchema, value: { reason: 'LOCK_NOT_HELD', domain: 'smarterbase.v1', metadata: {} } },
  ]);

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
}

/** A fake LockService: Hold grants token 7 on "free", LOCK_HELD on "busy", loses the lease on "lossy"; records what it saw. */
function fake() {
  const seen = {
    holdRequests: [] as unknown[],
    releasedByCancel: [] as string[],
    puts: [] as unknown[],
    deletes: [] as unknown[],
    acquires: [] as unknown[],
    holdTimeouts: [] as (number | undefined)[],
  };
  const locks: Partial<ServiceImpl<typeof LockService>> = {
    async *hold(req, ctx) {
      seen.holdRequests.push(req);
      seen.holdTimeouts.push(ctx.timeoutMs());
      if (req.name === 'busy') throw held(req.name);
      // As on the real server, the call's signal aborting is what releases the lock.
      ctx.signal.addEventListener('abort', () => seen.releasedByCancel.push(req.name), { once: true });
      yield { fencingToken: 7n, expireTime: timestampFromMs(1_700_000_000_000) };
      if (req.name === 'lossy') {
        await new Promise((r) => setTimeout(r, 20));
        throw notHeld();
      }
      yield { fencingToken: 7n, expireTime: timestampFromMs(1_700_000_001_000) };
      await untilAborted(ctx.signal);
    },
    acquire(req) {
      seen.acquires.push(req);
      if (req.name === 'busy') throw held(req.name);
      return { leaseId: 'L1', fencingToken: 9_007_199_254_740_993n, expireTime: timestampFromMs(1_700_000_000_250) };
    },
    get: (req) =>
      req.name === 'busy' ? { held: true, holder: 'other', fencingToken: 3n, expireTime: timestampFromMs(5000) } : { held: false },
    release: (req) => ({ released: req.leaseId === 'L1' }),
    renew: (req) => {
      if (req.leaseId !== 'L1') throw notHeld();
      return { fencingToken: 4n, expireTime: timestampFromMs(9000) };
    },
  };
  const docs: Partial<ServiceImpl<typeof DocumentService>> = {
    put: (req) => {
      seen.puts.push(req.lockGuard);
      return { document: { collection: req.collection, id: req.id, data: req.data, etag: 'e', version: 1n } };
    },
    putIfMatch: (req) => {
      seen.puts.push(req.lockGuard);
      return { document: { collection: req.collection, id: req.id, data: req.data, etag: 'e2', version: 2n } };
    },
    delete: (req) => {
      seen.deletes.push(req.lockGuard);
      return { deleted: true };
    },
  };
  const transport = createRouterTransport(({ service }) => {
    service(LockService, locks);
    service(DocumentService, docs);
  });
  return { seen, db: createClient({ transport, timeoutMs: 5000 }) };
}

async function eventually(cond: () => boolean): Promise<void> {
  const end = Date.now() + 2000;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('lock conversions', () => {
  test('ms ⇄ Duration and Timestamp', () => {
    expect(msToDuration(2500)).toEqual({ seconds: 2n, nanos: 500_000_000 });
    expect(msToDuration(0)).toEqual({ seconds: 0n, nanos: 0 });
    expect(msToDuration(0.5)).toEqual({ seconds: 0n, nanos: 500_000 });
    expect(() => msToDuration(-1)).toThrow(RangeError);
    expect(() => msToDuration(Number.NaN)).toThrow(RangeError);
    expect(timestampToDate(timestampFromMs(1_700_000_000_250)).getTime()).toBe(1_700_000_000_250);
  });

  test('acquire / renew / release / getLock translate requests and responses', async () => {
    const { db, seen } = fake();
    const lease = await db.acquire('jobs', { ttlMs: 1500, waitMs: 250, holder: 'me' });
    expect(lease).toEqual({ name: 'jobs', leaseId: 'L1', fencingToken: 9_007_199_254_740_993n, expireTime: new Date(1_700_000_000_250) });
    expect(seen.acquires[0]).toEqual(
      expect.objectContaining({
        name: 'jobs',
        holder: 'me',
        ttl: expect.objectContaining({ seconds: 1n, nanos: 500_000_000 }),
        waitTimeout: expect.objectContaining({ seconds: 0n, nanos: 250_000_000 }),
      }),
    );
    expect((await db.renew(lease, 3000)).fencingToken).toBe(4n);
    expect(await db.release(lease)).toBe(true);
    expect(await db.release({ name: 'jobs', leaseId: 'other' })).toBe(false);
    expect(await db.getLock('busy')).toEqual({ held: true, holder: 'other', fencingToken: 3n, expireTime: new Date(5000) });
    expect(await db.getLock('free')).toEqual({ held: false, holder: '', fencingToken: 0n, expireTime: undefined });
    const e = await db.acquire('busy').catch((x: unknown) => x);
    expect(isLockHeld(e)).toBe(true);
    expect((e as SmarterBaseError).retryDelayMs).toBe(1500);
    expect(isLockNotHeld(await db.renew({ name: 'jobs', leaseId: 'zz' }, 1000).catch((x: unknown) => x))).toBe(true);
  });

  test('lockGuard options reach put, putIfMatch and delete; absent → unset', async () => {
    const { db, seen } = fake();
    await db.put('c', 'a', { n: 1 }, { lockGuard: { name: 'L', fencingToken: 5n } });
    await db.putIfMatch('c', 'a', { n: 2 }, 'e', { lockGuard: { name: 'L', fencingToken: 6n } });
    await db.put('c', 'b', { n: 1 });
    await db.delete('c', 'a', { lockGuard: { name: 'M', fencingToken: 2n } });
    expect(seen.puts).toEqual([
      expect.objectContaining({ name: 'L', fencingToken: 5n }),
      expect.objectContaining({ name: 'L', fencingToken: 6n }),
      undefined,
    ]);
    expect(seen.deletes).toEqual([expect.objectContaining({ name: 'M', fencingToken: 2n })]);
    await expect(db.put('c', 'a', { n: 1 }, { lockGuard: { name: 'L', fencingToken: 5 as unknown as bigint } })).rejects.toThrow(TypeError);
  });
});

describe('withLock', () => {
  test('runs fn with the token and guard, then cancels the stream (the server sees the release); no deadline by default', async () => {
    const { db, seen } = fake();
    const out = await db.withLock(
      'free',
      async (lock) => {
        expect(lock).toEqual(expect.objectContaining({ name: 'free', fencingToken: 7n, guard: { name: 'free', fencingToken: 7n } }));
        expect(seen.releasedByCancel).toEqual([]);
        expect(lock.signal.aborted).toBe(false);
        return 'result';
      },
      { ttlMs: 3000, holder: 'w1' },
    );
    expect(out).toBe('result');
    await eventually(() => seen.releasedByCancel.length === 1);
    expect(seen.holdRequests[0]).toEqual(
      expect.objectContaining({ name: 'free', holder: 'w1', ttl: expect.objectContaining({ seconds: 3n }) }),
    );
    expect(seen.holdTimeouts).toEqual([undefined]);
  });

  test("cancels the stream when fn throws, and rethrows fn's error", async () => {
    const { db, seen } = fake();
    const boom = new Error('fn failed');
    await expect(
      db.withLock('free', () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    await eventually(() => seen.releasedByCancel.length === 1);
  });

  test('a busy lock rejects with LOCK_HELD and fn never runs', async () => {
    const { db } = fake();
    let ran = false;
    const e = await db
      .withLock('busy', () => {
        ran = true;
      })
      .catch((x: unknown) => x);
    expect(isLockHeld(e)).toBe(true);
    expect(ran).toBe(false);
  });

  test('a lost lease aborts lock.signal with LOCK_NOT_HELD', async () => {
    const { db } = fake();
    const reason = await db.withLock('lossy', async (lock) => {
      await untilAborted(lock.signal);
      return lock.signal.reason as unknown;
    });
    expect(isLockNotHeld(reason)).toBe(true);
  });

  test('hold(): leaving the loop cancels the stream', async () => {
    const { db, seen } = fake();
    const tokens: bigint[] = [];
    for await (const u of db.hold('free')) {
      tokens.push(u.fencingToken);
      if (tokens.length === 2) break;
    }
    expect(tokens).toEqual([7n, 7n]);
    await eventually(() => seen.releasedByCancel.length === 1);
  });
});
