import Redis from 'ioredis';
import { LocalCoordinator } from '../../server/src/coordination/local/local-coordinator.js';
import { RedisCoordinator } from '../../server/src/coordination/redis/redis-coordinator.js';
import { startRedis, type RedisTestServer } from '../harness/redis-server.js';
import { leaseScenarios } from './lease-scenarios.js';

describe('LocalCoordinator leases', () => {
  leaseScenarios(async () => [new LocalCoordinator()]);
});

describe('RedisCoordinator leases (one real redis-server)', () => {
  let redis: RedisTestServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  describe('one connection', () => {
    leaseScenarios(async () => [await RedisCoordinator.connect({ url: redis.url })]);
  });

  describe('two coordinators on separate connections', () => {
    leaseScenarios(async () => [await RedisCoordinator.connect({ url: redis.url }), await RedisCoordinator.connect({ url: redis.url })]);
  });

  it('keeps the lease hash and fence counter of a lock under one hash tag, the lease with a PX expiry', async () => {
    const c = await RedisCoordinator.connect({ url: redis.url, keyPrefix: 'lease-layout:' });
    const raw = new Redis(redis.url);
    try {
      const r = await c.tryAcquireLease('orders/7', 10_000, 'me');
      if (!r.granted) throw new Error('not granted');
      const keys = (await raw.keys('lease-layout:*')).sort();
      expect(keys).toEqual(['lease-layout:{l:orders/7}:fence', 'lease-layout:{l:orders/7}:lease']);
      expect(await raw.hgetall('lease-layout:{l:orders/7}:lease')).toEqual({ id: r.lease.leaseId, holder: 'me', fence: '1' });
      const pttl = await raw.pttl('lease-layout:{l:orders/7}:lease');
      expect(pttl).toBeGreaterThan(9000);
      expect(await raw.pttl('lease-layout:{l:orders/7}:fence')).toBe(-1);
    } finally {
      raw.disconnect();
      await c.close();
    }
  });

  it('tokens stay exact beyond 2^53', async () => {
    const c = await RedisCoordinator.connect({ url: redis.url, keyPrefix: 'big:' });
    const raw = new Redis(redis.url);
    try {
      await raw.set('big:{l:x}:fence', '9007199254740993');
      const r = await c.tryAcquireLease('x', 1000, '');
      expect(r.granted && r.lease.fencingToken).toBe(9007199254740994n);
      expect(await c.latestFence('x')).toBe(9007199254740994n);
      expect((await c.leaseInfo('x'))?.fencingToken).toBe(9007199254740994n);
    } finally {
      raw.disconnect();
      await c.close();
    }
  });
});

describe('RedisCoordinator leases when redis-server stops', () => {
  it('every lease operation fails with unavailable instead of hanging', async () => {
    const redis = await startRedis();
    const c = await RedisCoordinator.connect({ url: redis.url, commandTimeoutMs: 1000 });
    try {
      const r = await c.tryAcquireLease('l', 30_000, 'h');
      if (!r.granted) throw new Error('not granted');
      await redis.stop();
      const started = Date.now();
      const unavailable = { kind: 'unavailable', reason: 'BACKEND_UNAVAILABLE' };
      await expect(c.tryAcquireLease('l2', 1000, 'h')).rejects.toMatchObject(unavailable);
      await expect(c.renewLease('l', r.lease.leaseId, 1000)).rejects.toMatchObject(unavailable);
      await expect(c.releaseLease('l', r.lease.leaseId)).rejects.toMatchObject(unavailable);
      await expect(c.leaseInfo('l')).rejects.toMatchObject(unavailable);
      await expect(c.latestFence('l')).rejects.toMatchObject(unavailable);
      expect(Date.now() - started).toBeLessThan(8000);
    } finally {
      await c.close();
      await redis.stop();
    }
  });
});
