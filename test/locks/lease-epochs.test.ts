/**
 * Issue 10, "Fencing survives": RedisCoordinators tracking the coordination
 * epoch (one durable store shared like a bucket) over a real redis-server
 * that restarts empty. Tokens granted after the restart outrank every token
 * granted before it; leases from before are gone; each coordinator notices
 * the loss by itself.
 */
import Redis from 'ioredis';
import type { CoordinationLoss } from '../../server/src/coordination/coordinator.js';
import { RedisCoordinator } from '../../server/src/coordination/redis/redis-coordinator.js';
import { isDbError } from '../../server/src/errors/db-error.js';
import { DurableEpochStore } from '../../server/src/locks/durable-epoch-store.js';
import { FenceChecker } from '../../server/src/locks/fence-checker.js';
import { MemoryBlobStore } from '../../server/src/storage/memory/memory-store.js';
import { startRedis, type RedisTestServer } from '../harness/redis-server.js';

jest.setTimeout(60_000);

let redis: RedisTestServer;
const open: RedisCoordinator[] = [];

beforeEach(async () => {
  redis = await startRedis();
});

afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
  await redis.stop();
});

/** A coordinator that tracks the epoch in `bucket`, and the losses it reports. */
async function server(bucket: MemoryBlobStore, checkIntervalMs: number): Promise<{ c: RedisCoordinator; losses: CoordinationLoss[] }> {
  const c = await RedisCoordinator.connect({ url: redis.url, commandTimeoutMs: 500 });
  open.push(c);
  const losses: CoordinationLoss[] = [];
  c.onLoss((l) => losses.push(l));
  await c.trackEpoch({ store: new DurableEpochStore(bucket), checkIntervalMs });
  return { c, losses };
}

/** Restarts Redis empty on the same port. */
async function restartEmpty(): Promise<void> {
  const port = redis.port;
  await redis.stop();
  redis = await startRedis(port);
}

/** `fn` retried while Redis is unreachable (the connection reconnects in the background). */
async function whenReachable<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (!isDbError(e) || e.kind !== 'unavailable' || i > 100) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
}

async function grant(c: RedisCoordinator, name: string): Promise<{ leaseId: string; fencingToken: bigint }> {
  const r = await whenReachable(() => c.tryAcquireLease(name, 30_000, 'h'));
  if (!r.granted) throw new Error(`${name} not granted`);
  return r.lease;
}

it('starts at epoch 0 with plain counter tokens, and seeds the marker and the durable record', async () => {
  const bucket = new MemoryBlobStore();
  const { c } = await server(bucket, 60_000);
  expect(c.currentEpoch).toBe(0);
  expect((await grant(c, 'a')).fencingToken).toBe(1n);
  const raw = new Redis(redis.url);
  expect(await raw.get('sb:epoch')).toBe('0');
  raw.disconnect();
  expect((await new DurableEpochStore(bucket).read())?.epoch).toBe(0);
});

it('after Redis restarts empty, a new grant outranks every earlier token, the old lease is gone and its token is refused', async () => {
  const bucket = new MemoryBlobStore();
  const a = await server(bucket, 60_000); // detects only on reconnect or at its next grant
  const b = await server(bucket, 60_000);
  const old = await grant(a.c, 'job2');
  expect(old.fencingToken).toBe(1n);

  await restartEmpty();
  const fresh = await grant(b.c, 'job2');
  expect(fresh.fencingToken).toBeGreaterThan(old.fencingToken);
  expect(fresh.fencingToken).toBe((1n << 32n) + 1n);
  expect(b.c.currentEpoch).toBe(1);

  // A pre-loss lease can neither renew nor release, and its token fails the fence check on any server.
  await expect(whenReachable(() => a.c.renewLease('job2', old.leaseId, 30_000))).resolves.toBeUndefined();
  await expect(a.c.releaseLease('job2', old.leaseId)).resolves.toBe(false);
  for (const c of [a.c, b.c]) {
    await expect(new FenceChecker(c).check({ name: 'job2', fencingToken: old.fencingToken })).rejects.toMatchObject({
      reason: 'LOCK_NOT_HELD',
    });
    await expect(new FenceChecker(c).check({ name: 'job2', fencingToken: fresh.fencingToken })).resolves.toBeUndefined();
  }
  // A noticed the loss by itself (reconnect check), in the same epoch as B.
  await until('A to adopt epoch 1', () => a.c.currentEpoch === 1);
  expect(a.losses).toEqual([{ previousEpoch: 0, epoch: 1 }]);
  expect(b.losses).toEqual([{ previousEpoch: 0, epoch: 1 }]);
  expect((await grant(a.c, 'job3')).fencingToken).toBe((1n << 32n) + 1n);
});

it('the periodic check notices a marker deleted without any reconnect, and a stale server never grants in the old epoch', async () => {
  const bucket = new MemoryBlobStore();
  const watcher = await server(bucket, 100);
  const stale = await server(bucket, 600_000);
  const before = await grant(stale.c, 'x');
  const raw = new Redis(redis.url);
  try {
    // A loss the connections cannot see: every key vanishes at once (as after a failover to an empty replica).
    await raw.flushall();
    await until('the watcher to detect the loss', () => watcher.losses.length === 1);
    expect(watcher.losses).toEqual([{ previousEpoch: 0, epoch: 1 }]);
    expect(await raw.get('sb:epoch')).toBe('1');
    expect(stale.c.currentEpoch).toBe(0); // has not checked yet
    const after = await grant(stale.c, 'x'); // the grant script sees the marker moved: sync, then grant
    expect(after.fencingToken).toBeGreaterThan(before.fencingToken);
    expect(stale.c.currentEpoch).toBe(1);
    expect(stale.losses).toEqual([{ previousEpoch: 0, epoch: 1 }]);
  } finally {
    raw.disconnect();
  }
});

it('servers detecting repeated losses at once agree on each new epoch, and tokens keep increasing', async () => {
  const bucket = new MemoryBlobStore();
  const servers = await Promise.all([server(bucket, 100), server(bucket, 100), server(bucket, 100)]);
  let last = 0n;
  const raw = new Redis(redis.url);
  try {
    for (let loss = 0; loss < 4; loss++) {
      for (const s of servers) {
        const l = await grant(s.c, `n${loss}-${servers.indexOf(s)}`);
        await s.c.releaseLease(`n${loss}-${servers.indexOf(s)}`, l.leaseId);
      }
      const token = (await grant(servers[loss % 3]!.c, 'shared')).fencingToken;
      expect(token).toBeGreaterThan(last);
      last = token;
      await raw.flushall();
      await until('every server to detect the loss', () => servers.every((s) => s.losses.length === loss + 1));
      expect(new Set(servers.map((s) => s.c.currentEpoch)).size).toBe(1);
    }
  } finally {
    raw.disconnect();
  }
});
