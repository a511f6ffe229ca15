/**
 * Exponential backoff with full jitter, and an abortable sleep; shared by
 * the UNAVAILABLE retry interceptor and the update() CAS loop.
 */

/** Parameters of one backoff computation (milliseconds). */
export interface BackoffParams {
  /** Upper bound of the first delay. */
  readonly initialBackoffMs: number;
  /** Cap of any delay. */
  readonly maxBackoffMs: number;
  /** Growth factor of the bound per retry. */
  readonly multiplier: number;
}

/**
 * The delay before retry number `retry` (1 = first retry): a uniform random
 * value in [0, min(max, initial * multiplier^(retry-1))], never below
 * `floorMs` (a server's RetryInfo hint) but still capped at maxBackoffMs.
 */
export function backoffDelayMs(p: BackoffParams, retry: number, random: () => number = Math.random, floorMs = 0): number {
  const bound = Math.min(p.maxBackoffMs, p.initialBackoffMs * Math.pow(p.multiplier, Math.max(0, retry - 1)));
  const jittered = random() * bound;
  return Math.min(p.maxBackoffMs, Math.max(jittered, floorMs));
}

/** Resolves after `ms` milliseconds, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
