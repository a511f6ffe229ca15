/**
 * The rate limiter shared by every replica: one Redis hash per key
 * (`rl:{<key>}`: tokens, time) updated by a Lua script that uses Redis's own
 * clock (TIME), so servers with skewed clocks share one bucket fairly. The
 * hash expires once a full bucket would have refilled. When Redis does not
 * answer, calls are counted by an in-process bucket instead (fail open to a
 * per-server limit, never fail closed: losing Redis must not lock every
 * caller out); docs/security.md says so.
 */
import { createHash } from 'node:crypto';
import type { RedisClient } from '../coordination/redis/redis-connection.js';
import { LocalRateLimiter, type RateDecision, type RateLimiter, type RateRule } from './rate-limiter.js';

/**
 * KEYS: the bucket. ARGV: tokens per ms, burst, cost. Returns {allowed 0/1, retry after ms}.
 * The arithmetic is takeFromBucket's (rate-limiter.ts).
 */
export const TAKE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local perMs = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local held = burst
if b[1] then
  held = math.min(burst, tonumber(b[1]) + math.max(0, now - tonumber(b[2])) * perMs)
end
local allowed = 0
local wait = 0
if held >= cost then
  held = held - cost
  allowed = 1
elseif perMs > 0 then
  wait = math.ceil((cost - held) / perMs)
else
  wait = 60000
end
redis.call('HSET', KEYS[1], 'tokens', tostring(held), 'at', tostring(now))
local refill = 60000
if perMs > 0 then refill = math.ceil(burst / perMs) + 1000 end
redis.call('PEXPIRE', KEYS[1], refill)
return {allowed, wait}
`;

/** The bucket's key: the hash tag keeps it on one cluster slot. */
export function bucketKey(key: string): string {
  return `rl:{${key}}`;
}

/** TAKE_SCRIPT's SHA-1, for EVALSHA (the script is sent again only after NOSCRIPT). */
const TAKE_SHA = createHash('sha1').update(TAKE_SCRIPT).digest('hex');

/** Buckets in Redis, with an in-process fallback while Redis fails. */
export class RedisRateLimiter implements RateLimiter {
  private readonly fallback: LocalRateLimiter;
  private lastWarnMs = -Infinity;

  /** `onFallback` hears a Redis failure (for a warning log), at most once per `quietMs`. */
  constructor(
    private readonly redis: RedisClient,
    private readonly onFallback: (err: unknown) => void = () => undefined,
    private readonly now: () => number = Date.now,
    private readonly quietMs = 10_000,
  ) {
    this.fallback = new LocalRateLimiter(now);
  }

  async take(key: string, rule: RateRule, cost = 1): Promise<RateDecision> {
    const args = [bucketKey(key), String(rule.ratePerSec / 1000), String(rule.burst), String(cost)];
    try {
      let reply: unknown;
      try {
        reply = await this.redis.evalsha(TAKE_SHA, 1, ...args);
      } catch (e) {
        if (!/NOSCRIPT/.test(String(e))) throw e;
        reply = await this.redis.eval(TAKE_SCRIPT, 1, ...args);
      }
      const [allowed, wait] = reply as [number, number];
      return { allowed: allowed === 1, retryAfterMs: Number(wait) };
    } catch (err) {
      if (this.now() - this.lastWarnMs >= this.quietMs) {
        this.lastWarnMs = this.now();
        this.onFallback(err);
      }
      return this.fallback.take(key, rule, cost);
    }
  }
}
