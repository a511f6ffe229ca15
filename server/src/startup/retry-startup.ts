/**
 * Bounded start-up retries (SB_STARTUP_RETRY_MS): in compose or Kubernetes
 * the server may start before S3 or Redis accepts connections. A step whose
 * failure is a retryable StartupError is tried again with backoff from
 * 250 ms to 5 s until the budget is spent; then its last error is thrown.
 */
import { StartupError } from './startup-error.js';

/** What retryStartup needs besides the step. */
export interface RetryStartupOptions {
  /** Total time to keep retrying, in ms; 0 = one attempt. */
  readonly budgetMs: number;
  /** Called before each wait, with the failure and the wait (for a log line). */
  readonly onRetry?: (err: StartupError, waitMs: number, attempt: number) => void;
  /** Waits `ms` (injected by specs). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** The current time in ms (injected by specs). */
  readonly now?: () => number;
}

/** Runs `step` (whose failures `explain` turns into StartupErrors) until it succeeds or the budget is spent. */
export async function retryStartup<T>(
  step: () => Promise<T>,
  explain: (err: unknown) => unknown,
  options: RetryStartupOptions,
): Promise<T> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = now() + options.budgetMs;
  let waitMs = 250;
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (raw) {
      const err = explain(raw);
      const left = deadline - now();
      if (!(err instanceof StartupError) || !err.retryable || left <= 0) throw err;
      const wait = Math.min(waitMs, left);
      options.onRetry?.(err, wait, attempt);
      await sleep(wait);
      waitMs = Math.min(waitMs * 2, 5000);
    }
  }
}
