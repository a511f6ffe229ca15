/**
 * The one door of every Redis command of the coordinator and the index store
 * (issue 10, "Circuit breaker and visibility"): a circuit breaker shared by
 * every connection to the same Redis (common/circuit-breaker.ts), a counter
 * per client, op and outcome, and one client span per command, a child of
 * whatever span is active (the RPC's server span).
 *
 * What opens the breaker: commands that time out (SB_REDIS_TIMEOUT_MS) or
 * find no connection. An error reply (a Lua script's error, NOSCRIPT) is an
 * answer: Redis is alive. A caller's abort never reaches the guard (the
 * adapters race their signal around guard.call), so it counts as nothing.
 * While the breaker is open, calls fail at once with DbError('unavailable',
 * 'BACKEND_UNAVAILABLE') whose RetryInfo is the rest of the cool-down.
 */
import { SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { CircuitBreaker, type BreakerState, type CallOutcome } from '../../common/circuit-breaker.js';
import { systemClock, type Clock } from '../../common/clock.js';
import type { CounterCell } from '../../observability/cell-counter.js';
import type { RedisInstruments, RedisOutcome } from '../../observability/metrics.js';
import { REDIS_RETRY_DELAY_MS, redisUnavailable } from './redis-connection.js';

/** Settings of the Redis breaker (SB_REDIS_BREAKER_FAILURES, SB_REDIS_BREAKER_COOLDOWN_MS). */
export interface RedisBreakerOptions {
  /** Consecutive failed commands that open the breaker. Default 5. */
  readonly failureThreshold?: number;
  /** How long it stays open before one probe command, in ms. Default 1000. */
  readonly coolDownMs?: number;
  /** The cool-down's clock. Default the system clock. */
  readonly clock?: Clock;
  /** Called on every state change (for logs). */
  readonly onStateChange?: (state: BreakerState, previous: BreakerState, cause?: unknown) => void;
}

/** True for an error Redis answered with (ioredis's ReplyError: a Lua error, NOSCRIPT, WRONGTYPE…). */
export function isReplyError(err: unknown): boolean {
  return err instanceof Error && err.name === 'ReplyError';
}

/** How a raw ioredis error counts for the breaker: an error reply is an answer, anything else a failure. */
export function classifyRedisError(err: unknown): CallOutcome {
  return isReplyError(err) ? 'answer' : 'failure';
}

/** A breaker for one Redis backend, refusing with BACKEND_UNAVAILABLE and RetryInfo. */
export function redisBreaker(options: RedisBreakerOptions = {}): CircuitBreaker {
  return new CircuitBreaker({
    failureThreshold: options.failureThreshold ?? 5,
    coolDownMs: options.coolDownMs ?? 1000,
    clock: options.clock ?? systemClock,
    classify: classifyRedisError,
    rejection: (left) =>
      redisUnavailable(
        left > 0 ? `Redis circuit breaker open (${left} ms of cool-down left)` : 'Redis circuit breaker half-open: a probe is in flight',
        undefined,
        Math.max(REDIS_RETRY_DELAY_MS, left),
      ),
    onStateChange: options.onStateChange,
  });
}

/** Options of RedisGuard. */
export interface RedisGuardOptions {
  /** The breaker of the Redis these commands go to (share one per Redis). Default: a fresh redisBreaker(). */
  readonly breaker?: CircuitBreaker;
  /** Where command outcomes and refusals are counted; omit for none. */
  readonly instruments?: RedisInstruments;
  /** Makes one span per command; omit for none. */
  readonly tracer?: Tracer;
  /** The backend's name on the rejected counter (default 'redis'). */
  readonly backend?: string;
}

/** Breaker, metrics and spans around each command of one client (see the file comment). */
export class RedisGuard {
  /** The breaker every command of this guard goes through. */
  readonly breaker: CircuitBreaker;
  private readonly cells = new Map<string, CounterCell>();
  private rejectedCell: CounterCell | undefined;

  /** `client` names the caller in metrics and spans (coordination, indexes). */
  constructor(
    private readonly options: RedisGuardOptions = {},
    readonly client = 'coordination',
  ) {
    this.breaker = options.breaker ?? redisBreaker();
  }

  /** A guard for another client of the same Redis: the same breaker, instruments and tracer. */
  forClient(client: string): RedisGuard {
    return new RedisGuard({ ...this.options, breaker: this.breaker }, client);
  }

  /**
   * Sends the command `send` (called only when the breaker admits it) and
   * returns its reply; raw ioredis errors pass through unchanged (the
   * adapters map them), a refusal is the breaker's DbError.
   */
  async call<T>(op: string, send: () => Promise<T>): Promise<T> {
    let admitted = false;
    const span = this.options.tracer?.startSpan(`redis.${op}`, {
      kind: SpanKind.CLIENT,
      attributes: { 'db.system': 'redis', 'db.operation': op, 'smarterbase.redis.client': this.client },
    });
    let outcome: RedisOutcome = 'ok';
    try {
      return await this.breaker.run(() => {
        admitted = true;
        return send();
      });
    } catch (err) {
      outcome = isReplyError(err) ? 'reply_error' : 'failed';
      if (!admitted) this.rejected().add();
      span?.setAttribute('smarterbase.redis.outcome', admitted ? outcome : 'rejected');
      span?.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      if (admitted) this.cell(op, outcome)?.add();
      span?.end();
    }
  }

  private cell(op: string, outcome: RedisOutcome): CounterCell | undefined {
    const instruments = this.options.instruments;
    if (instruments === undefined) return undefined;
    const key = `${this.client}/${op}/${outcome}`;
    let c = this.cells.get(key);
    if (c === undefined) {
      c = instruments.commands.cell(key, { client: this.client, op, outcome });
      this.cells.set(key, c);
    }
    return c;
  }

  private rejected(): CounterCell {
    const backend = this.options.backend ?? 'redis';
    this.rejectedCell ??= this.options.instruments?.rejected.cell(`${this.client}/${backend}`, { client: this.client, backend }) ?? {
      add: () => undefined,
      value: 0,
    };
    return this.rejectedCell;
  }
}
