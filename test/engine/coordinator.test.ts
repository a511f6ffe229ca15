import Redis from 'ioredis';
import { LocalCoordinator } from '../../server/src/coordination/local/local-coordinator.js';
import { RedisCoordinator } from '../../server/src/coordination/redis/redis-coordinator.js';
import { DbError } from '../../server/src/errors/db-error.js';
import { refusedPort } from '../harness/free-port.js';
import { waitFor } from '../harness/redis-process.js';
import { startRedis, type RedisTestServer } from '../harness/redis-server.js';
import { coordinatorScenarios } from './coordinator-scenarios.js';

async function errorOf(p: Promise<unknown>): Promise<DbError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!(e instanceof DbError)) throw new Error(`expected a DbError, got ${String(e)}`);
  return e;
}

describe('LocalCoordinator', () => {
  coordinatorScenarios(async () => [new LocalCoordinator()]);
});

describe('RedisCoordinator (one real redis-server)', () => {
  let redis: RedisTestServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  describe('one connection', () => {
    coordinatorScenarios(async () => [await RedisCoordinator.connect({ url: redis.url })]);
  });

  describe('two coordinators on separate connections exclude each other', () => {
    coordinatorScenarios(async () => [
      await RedisCoordinator.connect({ url: redis.url }),
      await RedisCoordinator.connect({ url: redis.url }),
    ]);
  });

  it('grantReplicas: a mutex grant no replica acknowledged is given back with its memo, and acquire fails unavailable', async () => {
    const plain = await RedisCoordinator.connect({ url: redis.url });
    const waiting = await RedisCoordinator.connect({ url: redis.url, grantReplicas: 1, commandTimeoutMs: 400 });
    try {
      const first = await plain.acquireMutex('needs-a-replica', { ttlMs: 10_000, waitMs: 0 });
      await first.release({ value: 'e:etag-1', ttlMs: 60_000 });
      // This redis-server has no replica: WAIT 1 answers 0 after half the command timeout.
      const e = await errorOf(waiting.acquireMutex('needs-a-replica', { ttlMs: 10_000, waitMs: 0 }));
      expect(e).toMatchObject({ kind: 'unavailable', reason: 'BACKEND_UNAVAILABLE' });
      // Given back: free at once, and the memo the refused grant took is there again.
      const next = await plain.acquireMutex('needs-a-replica', { ttlMs: 10_000, waitMs: 2000 });
      expect(next.memo).toBe('e:etag-1');
      await next.release();
    } finally {
      await Promise.all([plain.close(), waiting.close()]);
    }
  });

  it('grantReplicas: with a live replica the grant is returned only once the replica has it (its memo deleted there too)', async () => {
    const replica = await startRedis();
    const onReplica = new Redis(replica.url);
    const plain = await RedisCoordinator.connect({ url: redis.url });
    const waiting = await RedisCoordinator.connect({ url: redis.url, grantReplicas: 1, commandTimeoutMs: 4000 });
    try {
      await onReplica.call('REPLICAOF', '127.0.0.1', String(redis.port));
      await waitFor('the replica to sync', async () => (await onReplica.info('replication')).includes('master_link_status:up'));
      const first = await plain.acquireMutex('replicated', { ttlMs: 10_000, waitMs: 0 });
      await first.release({ value: 'e:etag-1', ttlMs: 60_000 });
      const h = await waiting.acquireMutex('replicated', { ttlMs: 10_000, waitMs: 5000 });
      expect(h.memo).toBe('e:etag-1');
      expect(await onReplica.exists('sb:{m:replicated}:memo')).toBe(0);
      expect(await onReplica.exists('sb:{m:replicated}:lock')).toBe(1);
      await h.release();
    } finally {
      onReplica.disconnect();
      await Promise.all([plain.close(), waiting.close()]);
      await replica.stop();
    }
  });

  it('keeps both keys of a mutex under one hash tag with the key prefix', async () => {
    const c = await RedisCoordinator.connect({ url: redis.url, keyPrefix: 'layout:' });
    const raw = new Redis(redis.url);
    try {
      const h = await c.acquireMutex('docs/c/x', { ttlMs: 10_000, waitMs: 0 });
      const keys = (await raw.keys('layout:*')).sort();
      expect(keys).toEqual(['layout:{m:docs/c/x}:fence', 'layout:{m:docs/c/x}:lock']);
      expect(await raw.get('layout:{m:docs/c/x}:fence')).toBe(String(h.fencingToken));
      const pttl = await raw.pttl('layout:{m:docs/c/x}:lock');
      expect(pttl).toBeGreaterThan(9000);
      expect(pttl).toBeLessThanOrEqual(10_000);
      await h.release();
      expect(await raw.exists('layout:{m:docs/c/x}:lock')).toBe(0);
      expect(await raw.exists('layout:{m:docs/c/x}:fence')).toBe(1);
    } finally {
      raw.disconnect();
      await c.close();
    }
  });

  it('coordinators with different key prefixes do not share mutexes', async () => {
    const a = await RedisCoordinator.connect({ url: redis.url, keyPrefix: 'a:' });
    const b = await RedisCoordinator.connect({ url: redis.url, keyPrefix: 'b:' });
    try {
      const ha = await a.acquireMutex('same', { ttlMs: 10_000, waitMs: 0 });
      const hb = await b.acquireMutex('same', { ttlMs: 10_000, waitMs: 0 });
      await ha.release();
      await hb.release();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('connecting to a port where nothing listens fails quickly with unavailable', async () => {
    const port = await refusedPort();
    const started = Date.now();
    const e = await errorOf(RedisCoordinator.connect({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 500 }));
    expect(e).toMatchObject({ kind: 'unavailable', reason: 'BACKEND_UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe('RedisCoordinator when redis-server stops', () => {
  it('fails with unavailable instead of hanging, for ping, acquire and a waiting acquire', async () => {
    const redis = await startRedis();
    const c = await RedisCoordinator.connect({ url: redis.url, commandTimeoutMs: 1000 });
    try {
      const held = await c.acquireMutex('m', { ttlMs: 30_000, waitMs: 0 });
      const waiting = errorOf(c.acquireMutex('m', { ttlMs: 1000, waitMs: 60_000 }));
      await new Promise((r) => setTimeout(r, 100));
      await redis.stop();
      const started = Date.now();
      expect(await waiting).toMatchObject({ kind: 'unavailable', reason: 'BACKEND_UNAVAILABLE' });
      expect(await errorOf(c.ping())).toMatchObject({ kind: 'unavailable', reason: 'BACKEND_UNAVAILABLE' });
      expect(await errorOf(c.acquireMutex('other', { ttlMs: 1000, waitMs: 0 }))).toMatchObject({ kind: 'unavailable' });
      expect(Date.now() - started).toBeLessThan(5000);
      await expect(held.release()).resolves.toBeUndefined(); // never throws
    } finally {
      await c.close();
      await redis.stop();
    }
  });
});
