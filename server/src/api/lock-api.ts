import type { CallContext } from './call-context.js';

/** A granted lease on a named lock. */
export interface LockLease {
  /** Secret handle for renew/release; never shown by get(). */
  readonly leaseId: string;
  /** Strictly greater than every earlier grant's token for this name. */
  readonly fencingToken: bigint;
  /** When the lease expires unless renewed (ms since the epoch). */
  readonly expireAtMs: number;
}

/** What get() shows of a lock. */
export interface LockInfo {
  readonly held: boolean;
  readonly holder?: string;
  readonly fencingToken?: bigint;
  readonly expireAtMs?: number;
}

/** A lock guard carried by a write: rejected when a newer grant of the lock exists. */
export interface LockGuardInput {
  readonly name: string;
  readonly fencingToken: bigint;
}

/**
 * Checks a write's lock guard (implemented by locks/fence-checker.ts):
 * resolves when the guard's fencing token is the lock's latest grant, throws
 * DbError failed_precondition LOCK_NOT_HELD otherwise.
 */
export interface FenceCheck {
  check(guard: LockGuardInput, signal?: AbortSignal): Promise<void>;
}

/** Acquire/Hold options. */
export interface AcquireInput {
  readonly name: string;
  /** Lease duration in ms (Acquire: 100..600000; Hold: 1000..600000, default 10000). */
  readonly ttlMs?: number;
  /** How long to wait for a busy lock, in ms; 0 = do not wait. Bounded by ctx.deadlineMs. */
  readonly waitMs?: number;
  /** Shown by get(); at most 256 characters. */
  readonly holder?: string;
}

/**
 * Locks (LockService). Errors are DbErrors: busy → aborted LOCK_HELD (with
 * retryDelayMs = the holder's remaining lease); not the current lease →
 * failed_precondition LOCK_NOT_HELD; invalid names/durations → invalid.
 */
export interface LockApi {
  acquire(ctx: CallContext, input: AcquireInput): Promise<LockLease>;
  renew(ctx: CallContext, name: string, leaseId: string, ttlMs: number): Promise<LockLease>;
  /** True when this call freed the lock. */
  release(ctx: CallContext, name: string, leaseId: string): Promise<boolean>;
  get(ctx: CallContext, name: string): Promise<LockInfo>;
  /**
   * Acquires, yields the lease, then yields again after each renewal (at a
   * third of the ttl) until ctx.signal aborts, then releases. Throws
   * LOCK_NOT_HELD if the lease is lost.
   */
  hold(ctx: CallContext, input: AcquireInput): AsyncGenerator<LockLease, void, undefined>;
}
