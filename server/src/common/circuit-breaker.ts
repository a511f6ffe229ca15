/**
 * A circuit breaker: a small state machine in front of calls to a backend
 * that can hang or vanish (Redis). Closed, it lets every call through and
 * counts consecutive failures; `failureThreshold` of them in a row open it.
 * Open, it refuses every call at once (no round trip) until `coolDownMs` of
 * the injected Clock passed; then it is half-open: exactly one call goes
 * through as a probe while the others are still refused. The probe's success
 * closes the breaker, its failure opens it for another cool-down.
 *
 * What counts is the caller's choice (`classify`): a timeout or a broken
 * connection is a failure; an error the backend answered with (a Lua error
 * reply, a refused condition) is an answer, which proves the backend is
 * alive and counts as a success; an abort by the caller says nothing about
 * the backend and counts as neither.
 *
 * Generic (no Redis, no metrics): the adapter wraps its calls in run() and
 * observes state changes through onStateChange.
 */
import type { Clock } from './clock.js';

/** The breaker's state. */
export type BreakerState = 'closed' | 'half-open' | 'open';

/** How a call's outcome counts: a backend failure, an answer (the backend is alive), or neither. */
export type CallOutcome = 'failure' | 'answer' | 'neutral';

/** Options of CircuitBreaker. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker (at least 1). */
  readonly failureThreshold: number;
  /** How long the breaker stays open before one probe call may go through, in ms of `clock`. */
  readonly coolDownMs: number;
  /** The time source of the cool-down. */
  readonly clock: Clock;
  /** How an error thrown by a call counts (default: every error is a failure). */
  readonly classify?: (err: unknown) => CallOutcome;
  /** The error a refused call throws; `retryAfterMs` is the rest of the cool-down (0 while a probe is in flight). */
  readonly rejection: (retryAfterMs: number) => Error;
  /** Called on every state change, after it happened; on a change to 'open', with the failure that opened it. */
  readonly onStateChange?: (state: BreakerState, previous: BreakerState, cause?: unknown) => void;
}

/** See the file comment. */
export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private readonly listeners = new Set<(state: BreakerState, previous: BreakerState) => void>();

  constructor(private readonly options: CircuitBreakerOptions) {
    if (!(options.failureThreshold >= 1)) throw new RangeError('failureThreshold must be at least 1');
    if (!(options.coolDownMs >= 0)) throw new RangeError('coolDownMs must not be negative');
  }

  /** The state now (an open breaker whose cool-down passed reads 'half-open'). */
  get state(): BreakerState {
    if (this.current === 'open' && this.coolDownLeft() === 0) return 'half-open';
    return this.current;
  }

  /** Consecutive failures counted since the last success. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Calls `fn` after every state change until the returned function is called. */
  subscribe(fn: (state: BreakerState, previous: BreakerState) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Runs `call` unless the breaker refuses it (then throws `rejection`
   * without calling it). `call` is only invoked when admitted, so a refused
   * call costs no round trip.
   */
  async run<T>(call: () => Promise<T>): Promise<T> {
    const probe = this.admit();
    try {
      const result = await call();
      this.record('answer', probe);
      return result;
    } catch (err) {
      this.record(this.options.classify?.(err) ?? 'failure', probe, err);
      throw err;
    }
  }

  /** Returns true when this call is the half-open probe; throws the rejection when refused. */
  private admit(): boolean {
    if (this.current === 'closed') return false;
    const left = this.coolDownLeft();
    if (left > 0) throw this.options.rejection(left);
    if (this.probing) throw this.options.rejection(0);
    this.probing = true;
    this.transition('half-open');
    return true;
  }

  private record(outcome: CallOutcome, probe: boolean, cause?: unknown): void {
    if (probe) this.probing = false;
    if (outcome === 'answer') {
      this.failures = 0;
      this.transition('closed');
    } else if (outcome === 'failure') {
      this.failures++;
      if (probe || (this.current === 'closed' && this.failures >= this.options.failureThreshold)) this.open(cause);
    } else if (probe) {
      // The caller gave up on the probe: the next call after it may probe again.
      this.transition('open');
    }
  }

  private open(cause: unknown): void {
    this.openedAt = this.options.clock.now();
    this.transition('open', cause);
  }

  private coolDownLeft(): number {
    return Math.max(0, this.openedAt + this.options.coolDownMs - this.options.clock.now());
  }

  private transition(next: BreakerState, cause?: unknown): void {
    const previous = this.current;
    if (previous === next) return;
    this.current = next;
    this.options.onStateChange?.(next, previous, cause);
    for (const l of [...this.listeners]) l(next, previous);
  }
}
