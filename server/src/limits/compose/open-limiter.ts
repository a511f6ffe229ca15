/**
 * The rate limiter a server uses (docs/security.md, "Limits"): with Redis
 * coordination one shared by every replica (its own connection), else in
 * process.
 */
import { openRedis, type RedisConnectionOptions } from '../../coordination/redis/redis-connection.js';
import { LocalRateLimiter, type RateLimiter } from '../rate-limiter.js';
import { RedisRateLimiter } from '../redis-rate-limiter.js';
import type { Closer } from '../../common/closer.js';

/** The limiter: Redis-backed when `redis` is given; its connection's closer joins `closers`. */
export async function openRateLimiter(
  redis: RedisConnectionOptions | undefined,
  onFallback: (err: unknown) => void,
  closers: Closer[],
): Promise<RateLimiter> {
  if (redis === undefined) return new LocalRateLimiter();
  const connection = await openRedis(redis);
  closers.push({ name: 'rate limiter redis', close: () => Promise.resolve(connection.disconnect()) });
  return new RedisRateLimiter(connection, onFallback);
}
