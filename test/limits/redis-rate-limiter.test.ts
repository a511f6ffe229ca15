/**
 * RedisRateLimiter against a real redis-server: two limiters (two servers)
 * share one bucket per key, keys do not share, and with Redis stopped the
 * limiter answers from its in-process bucket (fail open to a per-server
 * limit) and tells its warning hook, instead of throwing or refusing all.
 */
import { openRedis, type RedisClient } from '../../server/src/coordination/redis/redis-connection.js';
import { RedisRateLimiter } from '../../server/src/limits/redis-rate-limiter.js';
import { startRedis, type RedisTestServer } from '../harness/redis-server.js';

jest.setTimeout(60_000);

describe('RedisRateLimiter (real Redis)', () => {
  let redis: RedisTestServer;
  const connections: RedisClient[] = [];
  const limiter = async (onFallback?: (e: unknown) => void): Promise<RedisRateLimiter> => {
    const c = await openRedis({ url: redis.url, commandTimeoutMs: 500 });
    connections.push(c);
    return new RedisRateLimiter(c, onFallback);
  };
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const c of connections) c.disconnect();
    await redis.stop();
  });

  test('two servers take from one bucket per key; another key has its own', async () => {
    const a = await limiter();
    const b = await limiter();
    // A slow refill (1 per 100 s) so that the test's own duration adds no token.
    const rule = { ratePerSec: 0.01, burst: 10 };
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? a : b).take('ann', rule)));
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
    const refused = results.find((r) => !r.allowed)!;
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(100_000);
    expect((await b.take('bob', rule)).allowed).toBe(true);
  });

  test('with Redis stopped, calls are counted in process and the hook hears of it once', async () => {
    const warned: unknown[] = [];
    const a = await limiter((e) => warned.push(e));
    const rule = { ratePerSec: 0.01, burst: 2 };
    await redis.stop();
    const got = [];
    for (let i = 0; i < 4; i++) got.push((await a.take('carol', rule)).allowed);
    expect(got).toEqual([true, true, false, false]);
    expect(warned).toHaveLength(1);
    redis = await startRedis(redis.port);
  });
});
