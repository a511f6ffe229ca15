/**
 * The batching log appender: add() queues a line and resolves to its
 * sequence number once its batch is appended. A batch is sent when it holds
 * maxLines lines or maxBytes bytes, when its oldest line has waited maxDelayMs,
 * or on flush()/close(); one batch is in flight at a time, so lines land in
 * add order. Each batch carries a random request id; on UNAVAILABLE,
 * DEADLINE_EXCEEDED or a lost connection the same batch is resent with the
 * same id (the server answers a repeat with the first attempt's sequences:
 * exactly once), with the client's backoff. Any other error, or running out of
 * attempts, rejects that batch's lines only; later batches go on.
 *
 * A line (LogLine) is either a JSON text, given as a string and sent byte for
 * byte (so `'{"a":1}'` appends that object and `'"hi"'` the JSON string "hi"),
 * or any other JSON value, serialized with JSON.stringify (objects, arrays,
 * numbers, booleans, null). To append a string value, pass
 * JSON.stringify(value). The server refuses a line that is not one JSON text
 * or holds a raw line break (INVALID_LOG_LINE), failing the whole request.
 */
import { randomUUID } from 'node:crypto';
import { Code } from '@connectrpc/connect';
import { backoffDelayMs, sleep as defaultSleep } from './backoff.js';
import { type SmarterBaseError, toSmarterBaseError } from './errors.js';
import type { AppendResponse } from './gen/smarterbase/v1/log_service_pb.js';
import { resolveRetryPolicy, type RetryPolicy } from './options.js';
import { isRetryableError } from './retry.js';

/** Sends one Append of a batch (one attempt, no automatic retry). */
export type SendBatch = (lines: string[], requestId: string) => Promise<AppendResponse>;

/** One line to append: a JSON text (string, sent as is) or a JSON value other than a string (serialized). */
export type LogLine = string | number | boolean | null | readonly unknown[] | { readonly [key: string]: unknown };

/** The JSON text sent for a LogLine (see the module comment); throws TypeError for what JSON cannot hold. */
export function toLogLine(line: LogLine): string {
  if (typeof line === 'string') return line;
  const text = JSON.stringify(line) as string | undefined;
  if (text === undefined) throw new TypeError('a log line must be a JSON value');
  return text;
}

/** Injectable parts of an appender (for deterministic tests and logging). */
export interface AppenderHooks {
  /** Uniform random number in [0, 1). Default Math.random. */
  readonly random?: () => number;
  /** Waits ms milliseconds unless the signal aborts. Default: a timer. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Called before each resend of a batch with the retry number (1 = first), the error and the delay. */
  readonly onRetry?: (retry: number, error: SmarterBaseError, delayMs: number) => void;
}

/** Options of logs.appender(). */
export interface AppenderOptions {
  /** Most lines per Append, 1 to 1000. Default 500. */
  readonly maxLines?: number;
  /** Most JSON text bytes per Append (a longer single line is sent alone). Default 1 MiB. */
  readonly maxBytes?: number;
  /** Longest a line waits for its batch to fill before it is sent, in ms. Default 10. */
  readonly maxDelayMs?: number;
  /** Resends of a batch (maxAttempts counts them all). Default: the client's retry policy. */
  readonly retry?: RetryPolicy;
  /** Test and logging hooks. */
  readonly hooks?: AppenderHooks;
}

/** UNAVAILABLE or a lost connection (isRetryableError), or DEADLINE_EXCEEDED: the attempt may have landed; resent with its request id. */
function isAppendRetryable(raw: unknown, err: SmarterBaseError): boolean {
  return err.code === Code.DeadlineExceeded || isRetryableError(raw);
}

interface Pending {
  readonly line: string;
  readonly bytes: number;
  readonly addedAt: number;
  readonly resolve: (sequence: bigint) => void;
  readonly reject: (err: unknown) => void;
}

/** A batching appender of one log; see the module comment. */
export class LogAppender {
  /** Append calls made, resends included. */
  calls = 0;
  /** Lines whose batch failed (their add() promises rejected). */
  failedLines = 0;
  private readonly pending: Pending[] = [];
  private readonly maxLines: number;
  private readonly maxBytes: number;
  private readonly maxDelayMs: number;
  /** Nothing cancels a batch once taken: its lines are settled by the server's answer or the last error. */
  private readonly never = new AbortController().signal;
  private pendingBytes = 0;
  private inFlight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private flushUpTo = 0;
  private added = 0;
  private sent = 0;
  private closed = false;
  private firstError: unknown;

  /** Used by logs.appender(). */
  constructor(
    private readonly send: SendBatch,
    private readonly options: AppenderOptions = {},
  ) {
    this.maxLines = options.maxLines ?? 500;
    this.maxBytes = options.maxBytes ?? 1 << 20;
    this.maxDelayMs = options.maxDelayMs ?? 10;
    if (!Number.isInteger(this.maxLines) || this.maxLines < 1 || this.maxLines > 1000) throw new RangeError('maxLines must be 1 to 1000');
    if (this.maxBytes < 1 || this.maxDelayMs < 0) throw new RangeError('maxBytes must be >= 1 and maxDelayMs >= 0');
    resolveRetryPolicy(options.retry);
  }

  /**
   * Queues a line (see LogLine); resolves to its sequence number. A failure
   * rejects this promise and is also reported by the next flush()/close(), so
   * an add whose promise is ignored does not raise an unhandled rejection.
   */
  add(line: LogLine): Promise<bigint> {
    if (this.closed) throw new Error('the log appender is closed');
    const text = toLogLine(line);
    const promise = new Promise<bigint>((resolve, reject) => {
      this.pending.push({ line: text, bytes: Buffer.byteLength(text), addedAt: performance.now(), resolve, reject });
    });
    promise.catch(() => undefined);
    this.added++;
    this.pendingBytes += this.pending[this.pending.length - 1].bytes;
    this.pump();
    return promise;
  }

  /** Sends every line added so far and waits for them; rejects with the first failure since the last flush. */
  async flush(): Promise<void> {
    const target = this.added;
    this.flushUpTo = target;
    this.pump();
    // Batches settle in add order: lines added after this call do not hold it.
    while (this.sent < target) await this.inFlight;
    const err = this.firstError;
    this.firstError = undefined;
    if (err !== undefined) throw err;
  }

  /** Flushes, then refuses further lines. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  /** Starts the next batch when nothing is in flight and one is due; else arms the delay timer. */
  private pump(): void {
    if (this.inFlight || this.pending.length === 0) return;
    const full = this.pending.length >= this.maxLines || this.pendingBytes >= this.maxBytes;
    const waited = performance.now() - this.pending[0].addedAt;
    if (full || this.sent < this.flushUpTo || waited >= this.maxDelayMs) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.inFlight = this.sendBatch(this.takeBatch()).finally(() => {
        this.inFlight = undefined;
        this.pump();
      });
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, this.maxDelayMs - waited);
      this.timer.unref();
    }
  }

  /** Removes the next batch from the queue: up to maxLines lines and maxBytes bytes (at least one line). */
  private takeBatch(): Pending[] {
    let n = 0;
    let bytes = 0;
    while (n < this.pending.length && n < this.maxLines && (n === 0 || bytes + this.pending[n].bytes <= this.maxBytes)) {
      bytes += this.pending[n].bytes;
      n++;
    }
    this.pendingBytes -= bytes;
    return this.pending.splice(0, n);
  }

  /** Appends one batch, resending it with the same request id on a retryable error; settles its lines. */
  private async sendBatch(batch: Pending[]): Promise<void> {
    const requestId = randomUUID();
    const lines = batch.map((p) => p.line);
    const policy = resolveRetryPolicy(this.options.retry);
    const hooks = this.options.hooks ?? {};
    try {
      for (let retry = 1; ; retry++) {
        try {
          this.calls++;
          const res = await this.send(lines, requestId);
          batch.forEach((p, i) => p.resolve(res.firstSequence + BigInt(i)));
          return;
        } catch (e) {
          const err = toSmarterBaseError(e);
          if (retry >= policy.maxAttempts || !isAppendRetryable(e, err)) throw err;
          const delay = backoffDelayMs(policy, retry, hooks.random ?? Math.random, err.retryDelayMs ?? 0);
          hooks.onRetry?.(retry, err, delay);
          await (hooks.sleep ?? defaultSleep)(delay, this.never);
        }
      }
    } catch (err) {
      this.failedLines += batch.length;
      this.firstError ??= err;
      for (const p of batch) p.reject(err);
    } finally {
      this.sent += batch.length;
    }
  }
}
