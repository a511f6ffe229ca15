/**
 * Per-principal limits, a step of the decorator chain (decorators/chain.ts)
 * just inside authentication: each call of an authenticated principal takes
 * a token from the principal's bucket (limits/rate-limiter.ts: shared by the
 * replicas through Redis, in process on the embedded default), and each
 * streaming call (client, server or bidi streams) takes one of the
 * principal's stream slots on this server for as long as it runs. Over
 * either → RESOURCE_EXHAUSTED with RetryInfo (RATE_LIMITED, or
 * TOO_MANY_STREAMS), before the call costs anything; other principals are
 * not affected. Calls without a principal (authentication off) are not
 * limited here (SB_MAX_CALLS_IN_FLIGHT still bounds the server).
 */
import type { DescService } from '@bufbuild/protobuf';
import type { HandlerContext, ServiceImpl } from '@connectrpc/connect';
import { DbError } from '../../errors/db-error.js';
import type { RateLimiter, RateRule } from '../../limits/rate-limiter.js';
import { eachMethod } from './each-method.js';

/** How long a caller over its stream limit is told to wait, in ms. */
export const STREAM_LIMIT_RETRY_MS = 1000;

/** What the step needs. */
export interface PrincipalLimits {
  /** The authenticated principal of a call (set by the authentication step), undefined without one. */
  principalOf(ctx: HandlerContext): string | undefined;
  /** The buckets. */
  readonly limiter: RateLimiter;
  /** The principal's call rate, undefined for unlimited. */
  ruleOf(principal: string): RateRule | undefined;
  /** The principal's streams at once on one server, undefined for unlimited. */
  maxStreamsOf(principal: string): number | undefined;
}

/** Streams open per principal on this server. */
export class StreamSlots {
  private readonly open = new Map<string, number>();

  /** Takes a slot of `principal` under `max`; returns its release, or throws RESOURCE_EXHAUSTED / TOO_MANY_STREAMS. */
  enter(principal: string, max: number): () => void {
    const now = this.open.get(principal) ?? 0;
    if (now >= max) {
      throw new DbError(
        'resource_exhausted',
        'TOO_MANY_STREAMS',
        `principal ${principal} already has ${now} streams open on this server (its maximum); end one first`,
        { retryDelayMs: STREAM_LIMIT_RETRY_MS, metadata: { principal, limit: String(max) } },
      );
    }
    this.open.set(principal, now + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(principal) ?? 1) - 1;
      if (left <= 0) this.open.delete(principal);
      else this.open.set(principal, left);
    };
  }

  /** Streams `principal` has open now. */
  count(principal: string): number {
    return this.open.get(principal) ?? 0;
  }
}

/** Throws RESOURCE_EXHAUSTED / RATE_LIMITED when `principal` is over its rate. */
async function checkRate(limits: PrincipalLimits, principal: string): Promise<void> {
  const rule = limits.ruleOf(principal);
  if (rule === undefined) return;
  const decision = await limits.limiter.take(principal, rule);
  if (decision.allowed) return;
  throw new DbError(
    'resource_exhausted',
    'RATE_LIMITED',
    `principal ${principal} is over its rate of ${rule.ratePerSec} calls/s; retry later`,
    {
      retryDelayMs: Math.max(1, decision.retryAfterMs),
      metadata: { principal, ratePerSec: String(rule.ratePerSec), burst: String(rule.burst) },
    },
  );
}

/** `impl` with every call of a principal checked against its limits first. */
export function limitPrincipals<S extends DescService>(
  service: S,
  impl: ServiceImpl<S>,
  limits: PrincipalLimits,
  slots: StreamSlots,
): ServiceImpl<S> {
  return eachMethod(service, impl, (fn, method, streams) => {
    const streaming = method.methodKind !== 'unary';
    /** Checks the rate and takes a stream slot when the method streams; returns the slot's release. */
    const admit = async (ctx: HandlerContext): Promise<() => void> => {
      const principal = limits.principalOf(ctx);
      if (principal === undefined) return () => undefined;
      const max = streaming ? limits.maxStreamsOf(principal) : undefined;
      const release = max === undefined ? () => undefined : slots.enter(principal, max);
      try {
        await checkRate(limits, principal);
      } catch (e) {
        release();
        throw e;
      }
      return release;
    };
    if (streams) {
      return (input, ctx) =>
        (async function* () {
          const release = await admit(ctx);
          try {
            yield* fn(input, ctx) as AsyncIterable<unknown>;
          } finally {
            release();
          }
        })();
    }
    return async (input, ctx) => {
      const release = await admit(ctx);
      try {
        return await fn(input, ctx);
      } finally {
        release();
      }
    };
  });
}
