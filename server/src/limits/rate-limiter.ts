/**
 * Per-principal rate limits (issue 14; docs/security.md "Limits"): a token
 * bucket per key — `ratePerSec` tokens flow in per second, at most `burst`
 * are held, each call takes one. The port has two adapters: in process
 * (LocalRateLimiter, the embedded default: each server counts alone) and
 * Redis (limits/redis-rate-limiter.ts: one bucket shared by every replica).
 */

/** A bucket's shape: refill rate and capacity. */
export interface RateRule {
  /** Tokens added per second (calls per second sustained). */
  readonly ratePerSec: number;
  /** Most tokens held (calls allowed in one burst after a quiet spell). */
  readonly burst: number;
}

/** The answer for one call. */
export interface RateDecision {
  readonly allowed: boolean;
  /** When refused: ms until a token is there (the RetryInfo delay). */
  readonly retryAfterMs: number;
}

/** Takes tokens from per-key buckets. */
export interface RateLimiter {
  /** Takes `cost` tokens (default 1) from `key`'s bucket under `rule`; never throws. */
  take(key: string, rule: RateRule, cost?: number): Promise<RateDecision>;
}

/** A bucket's state: tokens held at `atMs`. */
export interface BucketState {
  readonly tokens: number;
  readonly atMs: number;
}

/**
 * One step of the bucket arithmetic (the Redis script does the same in Lua):
 * refill since `state.atMs` up to the burst, then take `cost` if there.
 */
export function takeFromBucket(
  state: BucketState | undefined,
  rule: RateRule,
  nowMs: number,
  cost: number,
): { state: BucketState; decision: RateDecision } {
  const perMs = rule.ratePerSec / 1000;
  const held = state === undefined ? rule.burst : Math.min(rule.burst, state.tokens + Math.max(0, nowMs - state.atMs) * perMs);
  if (held >= cost) return { state: { tokens: held - cost, atMs: nowMs }, decision: { allowed: true, retryAfterMs: 0 } };
  const retryAfterMs = perMs > 0 ? Math.ceil((cost - held) / perMs) : 60_000;
  return { state: { tokens: held, atMs: nowMs }, decision: { allowed: false, retryAfterMs } };
}

/** Most buckets kept in process; the least recently used go first (a full bucket is what a new one starts as). */
export const MAX_LOCAL_BUCKETS = 100_000;

/** Buckets in this process's memory. */
export class LocalRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, BucketState>();

  constructor(private readonly now: () => number = Date.now) {}

  take(key: string, rule: RateRule, cost = 1): Promise<RateDecision> {
    const { state, decision } = takeFromBucket(this.buckets.get(key), rule, this.now(), cost);
    this.buckets.delete(key); // re-insert: Map order is the recency order
    this.buckets.set(key, state);
    if (this.buckets.size > MAX_LOCAL_BUCKETS) this.buckets.delete(this.buckets.keys().next().value!);
    return Promise.resolve(decision);
  }
}
