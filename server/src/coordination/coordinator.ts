/**
 * The coordination port: what the engine needs from Redis (or, on one node,
 * from an in-process implementation). Adapters: local/ and redis/.
 * Issue-by-issue this grows (indexes, unique constraints, change feed).
 *
 * Errors: an unreachable backend throws DbError('unavailable',
 * 'BACKEND_UNAVAILABLE'); a wait that ends by deadline or signal throws
 * DbError('deadline_exceeded' | 'cancelled'); a mutex still busy when waitMs
 * runs out throws DbError('aborted', 'CONCURRENT_MODIFICATION').
 */

/** A held mutex. */
export interface MutexHandle {
  /** Strictly increases for every grant of the same name (across all processes sharing the backend). */
  readonly fencingToken: bigint;
  /**
   * The memo the previous holder left in its release (see release), or
   * undefined when none was left, it expired, or the backend lost it. The
   * grant reads and deletes it in the same atomic step, so a memo is seen by
   * at most one holder: if that holder dies without leaving a new one, the
   * next holder finds none.
   */
  readonly memo?: string;
  /**
   * Releases the mutex if this handle still holds it; a no-op otherwise. Never throws.
   * With `memo`, stores it beside the mutex in the same atomic step, and only
   * if this handle still held the mutex at that moment (for `ttlMs` ms, at
   * most; the backend may lose it sooner).
   */
  release(memo?: MutexMemo): Promise<void>;
}

/** A value a mutex holder leaves for the next holder of the same name (MutexHandle.release). */
export interface MutexMemo {
  /** The value (non-empty). */
  readonly value: string;
  /** How long the backend keeps it, in ms (an integer ≥ 1). */
  readonly ttlMs: number;
}

/** How to take a mutex. */
export interface MutexOptions {
  /** The mutex expires this long after it is granted unless released, in ms. */
  readonly ttlMs: number;
  /** How long to wait for a busy mutex before giving up, in ms. */
  readonly waitMs: number;
  /** Aborts the wait. */
  readonly signal?: AbortSignal;
}

/** A granted lease of a named lock (LockService). */
export interface Lease {
  /** Random secret that renews and releases this lease; never shown by leaseInfo(). */
  readonly leaseId: string;
  /** Strictly greater than every earlier grant's token of the same name (across all processes). */
  readonly fencingToken: bigint;
  /**
   * When the lease expires unless renewed, in ms since the epoch by this
   * process's clock. Never later than the backend's expiry (measured from
   * before the request was sent).
   */
  readonly expireAtMs: number;
}

/** The answer of tryAcquireLease: the grant, or who holds the lock and for how much longer. */
export type LeaseAttempt =
  { readonly granted: true; readonly lease: Lease } | { readonly granted: false; readonly holder: string; readonly remainingMs: number };

/** What leaseInfo() shows of a current lease (never its id). */
export interface LeaseState {
  /** The holder given at grant ('' when none was given). */
  readonly holder: string;
  /** The current lease's fencing token. */
  readonly fencingToken: bigint;
  /** When the current lease expires, in ms since the epoch by this process's clock. */
  readonly expireAtMs: number;
}

/**
 * A detected loss of coordination state (Redis restarted empty, or failed
 * over to a replica without it): the coordination epoch moved from
 * `previousEpoch` to `epoch` (docs/locks.md, "Losing Redis"). Everything
 * Redis held before is gone: leases, fencing counters, index entries.
 */
export interface CoordinationLoss {
  /** The epoch this process worked in until it noticed the loss. */
  readonly previousEpoch: number;
  /** The epoch now current (durable in storage; greater than previousEpoch). */
  readonly epoch: number;
}

/** The coordination port. */
export interface Coordinator {
  /** 'local' or 'redis': for logs and metrics. */
  readonly kind: string;
  /** Takes the named mutex, waiting with jittered backoff up to options.waitMs. */
  acquireMutex(name: string, options: MutexOptions): Promise<MutexHandle>;
  /**
   * Grants the named lease for ttlMs (an integer ≥ 1) if no lease of that name
   * is current, in one atomic step; never waits. The grant's fencing token is
   * the name's previous latest token + 1 (the first grant of a name gets 1).
   */
  tryAcquireLease(name: string, ttlMs: number, holder: string, signal?: AbortSignal): Promise<LeaseAttempt>;
  /** Extends the lease to ttlMs from now if `leaseId` is still the current lease; undefined otherwise. */
  renewLease(name: string, leaseId: string, ttlMs: number, signal?: AbortSignal): Promise<Lease | undefined>;
  /** Frees the lock if `leaseId` is the current lease; true when this call freed it. */
  releaseLease(name: string, leaseId: string, signal?: AbortSignal): Promise<boolean>;
  /** The current lease of the name, undefined when none is current. */
  leaseInfo(name: string, signal?: AbortSignal): Promise<LeaseState | undefined>;
  /** The latest fencing token ever granted for the name (0n when never granted); expiry does not lower it. */
  latestFence(name: string, signal?: AbortSignal): Promise<bigint>;
  /**
   * Calls `listener` each time this process detects a loss of coordination
   * state (never for the in-process coordinator, which cannot lose it while
   * running). Returns a function that unsubscribes. Listeners must not throw.
   */
  onLoss(listener: (loss: CoordinationLoss) => void): () => void;
  /** Resolves when the backend answers; throws DbError('unavailable') otherwise. */
  ping(signal?: AbortSignal): Promise<void>;
  /** Closes connections. */
  close(): Promise<void>;
}

/** Runs `fn` while holding the named mutex, and always releases it. */
export async function withMutex<T>(
  coordinator: Coordinator,
  name: string,
  options: MutexOptions,
  fn: (handle: MutexHandle) => Promise<T>,
): Promise<T> {
  const handle = await coordinator.acquireMutex(name, options);
  try {
    return await fn(handle);
  } finally {
    await handle.release();
  }
}
