/**
 * Jittered exponential backoff ("full jitter"): attempt n waits a uniformly
 * random time in [0, min(maxMs, baseMs * 2^n)]. Randomness is injectable so
 * that tests can replay it.
 */

/** Backoff settings; all durations in ms. */
export interface BackoffOptions {
  /** The cap of the first attempt's delay. Default 5. */
  readonly baseMs?: number;
  /** The largest delay ever returned. Default 200. */
  readonly maxMs?: number;
  /** A random number in [0, 1). Default Math.random. */
  readonly random?: () => number;
}

/** The delay before retry number `attempt` (0-based), in ms. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 5;
  const max = options.maxMs ?? 200;
  const random = options.random ?? Math.random;
  const cap = Math.min(max, base * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * (cap + 1));
}
