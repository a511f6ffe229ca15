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
  /** Releases the mutex if this handle still holds it; a no-op otherwise. Never throws. */
  release(): Promise<void>;
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

/** The coordination port. */
export interface Coordinator {
  /** 'local' or 'redis': for logs and metrics. */
  readonly kind: string;
  /** Takes the named mutex, waiting with jittered backoff up to options.waitMs. */
  acquireMutex(name: string, options: MutexOptions): Promise<MutexHandle>;
  /**
   * A random secret (e.g. the HMAC key of page and resume tokens) shared by
   * every process using the same backend: the first caller creates it, the
   * others read it. In process (local) it lives as long as the process.
   */
  sharedSecret(name: string, signal?: AbortSignal): Promise<string>;
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
