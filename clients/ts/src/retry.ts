/**
 * The client's only automatic retry: a Connect interceptor that re-sends a
 * call failing with UNAVAILABLE, a bounded number of times, after an
 * exponential backoff with full jitter (never below the server's RetryInfo
 * hint). Every other code (ABORTED, DEADLINE_EXCEEDED, INVALID_ARGUMENT,
 * FAILED_PRECONDITION, ...) is returned at once. The call's deadline and
 * abort signal cover all attempts: a backoff ends early when they fire.
 */
import { Code, ConnectError, createContextKey, type Interceptor, type StreamRequest, type StreamResponse } from '@connectrpc/connect';
import { backoffDelayMs, sleep as defaultSleep } from './backoff.js';
import { toSmarterBaseError } from './errors.js';
import { resolveRetryPolicy, type RetryPolicy } from './options.js';

/** Injectable parts of the retry interceptor (for deterministic tests). */
export interface RetryHooks {
  /** Uniform random number in [0, 1). Default Math.random. */
  readonly random?: () => number;
  /** Waits ms milliseconds unless the signal aborts. Default: a timer. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Called before each retry with the retry number (1 = first), the error and the chosen delay. */
  readonly onRetry?: (retry: number, error: ConnectError, delayMs: number) => void;
}

/**
 * A server process that dies during a call resets the HTTP/2 stream or the
 * connection: connect-node then reports CANCELED ("http/2 stream closed") or
 * INTERNAL ("ECONNRESET"), with no details, since the server sent none. The
 * outcome is unknown, exactly as with UNAVAILABLE.
 */
const CONNECTION_LOST = /stream closed|ECONNRESET|socket hang up|premature close/i;

/**
 * True when a call that failed with this error may be sent again
 * automatically: UNAVAILABLE, or a connection lost mid-call (see above; a
 * cancellation by the caller's own signal is never retried). Errors a
 * SmarterBase server sends always carry ErrorInfo details, so they are not
 * taken for a lost connection.
 */
export function isRetryableError(err: unknown): boolean {
  const e = ConnectError.from(err);
  if (e.code === Code.Unavailable) return true;
  return (e.code === Code.Canceled || e.code === Code.Internal) && e.details.length === 0 && CONNECTION_LOST.test(e.rawMessage);
}

/**
 * A call context value that turns the interceptor off for one call: set by a
 * helper that retries by itself (the log appender resends a batch with its
 * request id on more errors than UNAVAILABLE), so attempts do not multiply.
 */
export const NO_AUTO_RETRY = createContextKey(false, { description: 'smarterbase: no automatic retry' });

/**
 * Creates the interceptor. Unary calls are retried whole; server-streaming
 * calls (BatchGet) are retried only while no response message has been
 * delivered, so a caller never sees an item twice.
 */
export function createRetryInterceptor(policy?: RetryPolicy, hooks: RetryHooks = {}): Interceptor {
  const p = resolveRetryPolicy(policy);
  const random = hooks.random ?? Math.random;
  const wait = hooks.sleep ?? defaultSleep;

  /** Waits before retry `retry`, or rethrows `err` when no retry is allowed. */
  async function backoffOrThrow(err: unknown, retry: number, signal: AbortSignal): Promise<void> {
    if (retry >= p.maxAttempts || signal.aborted || !isRetryableError(err)) throw err;
    const ce = ConnectError.from(err);
    const delay = backoffDelayMs(p, retry, random, toSmarterBaseError(ce).retryDelayMs ?? 0);
    hooks.onRetry?.(retry, ce, delay);
    await wait(delay, signal);
  }

  return (next) => async (req) => {
    if (req.contextValues.get(NO_AUTO_RETRY)) return next(req);
    if (!req.stream) {
      for (let retry = 1; ; retry++) {
        try {
          return await next(req);
        } catch (err) {
          await backoffOrThrow(err, retry, req.signal);
        }
      }
    }
    if (req.method.methodKind !== 'server_streaming') return next(req);

    // The single request message is buffered so that every attempt can send it.
    const input: unknown[] = [];
    for await (const m of req.message) input.push(m);
    const attemptReq = (): StreamRequest => ({ ...req, message: replay(input) }) as StreamRequest;
    let retry = 1;
    const open = async (): Promise<StreamResponse> => {
      for (;;) {
        try {
          return (await next(attemptReq())) as StreamResponse;
        } catch (err) {
          await backoffOrThrow(err, retry++, req.signal);
        }
      }
    };
    let res = await open();
    async function* messages(): AsyncGenerator<unknown> {
      let delivered = false;
      for (;;) {
        try {
          for await (const m of res.message) {
            delivered = true;
            yield m;
          }
          return;
        } catch (err) {
          if (delivered) throw err;
          await backoffOrThrow(err, retry++, req.signal);
          res = await open();
        }
      }
    }
    return { ...res, message: messages() } as StreamResponse;
  };
}

async function* replay(items: readonly unknown[]): AsyncGenerator<unknown> {
  yield* items;
}
