/**
 * Reading a log: a LogReadStream calls LogService.ReadLog and yields its
 * entries one by one, in sequence order. It remembers the last sequence
 * delivered; after a disconnect, UNAVAILABLE or a following stream that ended
 * without a status, it calls ReadLog again from that sequence + 1, with capped
 * exponential backoff and full jitter (never shorter than the server's
 * RetryInfo), skipping anything at or below it: never a duplicate, never a
 * gap. SEQUENCE_TRIMMED (OUT_OF_RANGE: the lines asked for were deleted by
 * retention) and every other error end it with a SmarterBaseError.
 */
import { Code, type Client } from '@connectrpc/connect';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { backoffDelayMs, sleep as defaultSleep, type BackoffParams } from './backoff.js';
import { SmarterBaseError, toSmarterBaseError } from './errors.js';
import type { LogService } from './gen/smarterbase/v1/log_service_pb.js';
import { msToDuration } from './locks.js';
import { DEFAULT_RETRY_POLICY } from './options.js';
import { isWatchRetryable, type WatchHooks } from './watch.js';

/** Options of logs.read(). The read has no deadline; stop it with `signal` or by leaving the loop. */
export interface ReadLogOptions {
  /** The first sequence to read; default 0n: the oldest retained. */
  readonly fromSequence?: bigint;
  /** Only lines appended after the call starts (fromSequence must be 0n). */
  readonly fromEnd?: boolean;
  /** Keep reading as new lines are appended (like `tail -f`); the loop then never ends by itself. */
  readonly follow?: boolean;
  /** With follow: idle time before the server sends a progress message (updates tailSequence), 100 ms to 60 s. Default 10 s. */
  readonly progressIntervalMs?: number;
  /** Cancels the read (it then throws CANCELLED). */
  readonly signal?: AbortSignal;
  /** Backoff between resumes. Default: DEFAULT_RETRY_POLICY's backoff (50 ms doubling to 2 s). */
  readonly backoff?: Partial<BackoffParams>;
  /** Consecutive failed calls (no entry received) before the read ends with the error. Default: unlimited with follow, else 4. */
  readonly maxAttempts?: number;
  /** Test and logging hooks (onResume is called before each resume). */
  readonly hooks?: WatchHooks;
}

/** One line of a log. */
export interface LogEntry {
  /** Its sequence number (dense, from 1). */
  readonly sequence: bigint;
  /** The JSON text, byte for byte as appended (JSON.parse it for the value). */
  readonly line: string;
  /** When its batch was written, by the writing server's clock. */
  readonly appendTime: Date | undefined;
}

/** The ReadLog request fields a LogReadStream sends (fromSequence and fromEnd are replaced on a resume). */
export interface ReadLogRequestInit {
  readonly log: string;
  readonly fromSequence: bigint;
  readonly fromEnd: boolean;
  readonly follow: boolean;
  readonly progressInterval: { seconds: bigint; nanos: number } | undefined;
}

/** Opens one ReadLog call, cancelled by `signal`. */
export type OpenReadLog = (req: ReadLogRequestInit, signal: AbortSignal) => ReturnType<Client<typeof LogService>['readLog']>;

/** The request of read(log, options). */
export function readLogRequest(log: string, o: ReadLogOptions | undefined): ReadLogRequestInit {
  const ms = o?.progressIntervalMs;
  return {
    log,
    fromSequence: o?.fromSequence ?? 0n,
    fromEnd: o?.fromEnd ?? false,
    follow: o?.follow ?? false,
    progressInterval: ms === undefined || ms === 0 ? undefined : msToDuration(ms),
  };
}

/**
 * The entries of one read: iterate it once with `for await`. Leaving the loop
 * (or aborting options.signal, which throws CANCELLED) ends the call.
 * `lastSequence` is the sequence of the last entry delivered: read again from
 * it + 1 to continue after the loop ended.
 */
export class LogReadStream implements AsyncIterable<LogEntry> {
  /** The sequence of the last entry delivered; 0n before the first. */
  lastSequence = 0n;
  /** The last tail_sequence the server reported: every line up to it exists. */
  tailSequence = 0n;
  /** How many times the read resumed after an interruption. */
  resumes = 0;
  private started = false;
  private tailSeen = false;

  /** Used by logs.read(); `open` makes one ReadLog call. */
  constructor(
    private readonly open: OpenReadLog,
    private readonly request: ReadLogRequestInit,
    private readonly options: ReadLogOptions = {},
  ) {}

  async *[Symbol.asyncIterator](): AsyncIterator<LogEntry> {
    if (this.started) throw new Error('a LogReadStream can be iterated only once; call read() again');
    this.started = true;
    const stop = new AbortController();
    const signal = this.options.signal ? AbortSignal.any([this.options.signal, stop.signal]) : stop.signal;
    const backoff = { ...DEFAULT_RETRY_POLICY, ...this.options.backoff };
    const hooks = this.options.hooks ?? {};
    const maxAttempts = this.options.maxAttempts ?? (this.request.follow ? Infinity : DEFAULT_RETRY_POLICY.maxAttempts);
    let failures = 0;
    try {
      for (;;) {
        let error: SmarterBaseError | undefined;
        try {
          for await (const m of this.open(this.resumeRequest(), signal)) {
            this.tailSeen = true;
            if (m.tailSequence > this.tailSequence) this.tailSequence = m.tailSequence;
            for (const e of m.entries) {
              if (this.lastSequence > 0n && e.sequence <= this.lastSequence) continue;
              if (this.lastSequence > 0n && e.sequence !== this.lastSequence + 1n) throw gap(this.lastSequence, e.sequence);
              this.lastSequence = e.sequence;
              failures = 0;
              yield { sequence: e.sequence, line: e.line, appendTime: e.appendTime ? timestampDate(e.appendTime) : undefined };
            }
          }
        } catch (e) {
          error = toSmarterBaseError(e);
        }
        if (signal.aborted) throw cancelled(error, signal);
        if (error === undefined && !this.request.follow) return;
        if (error !== undefined && !isWatchRetryable(error)) throw error;
        failures++;
        const err = error ?? new SmarterBaseError({ code: Code.Unavailable, message: 'the log read ended without a status' });
        if (failures >= maxAttempts) throw err;
        const delay = Math.max(backoffDelayMs(backoff, failures, hooks.random ?? Math.random), error?.retryDelayMs ?? 0);
        hooks.onResume?.(failures, error, delay);
        this.resumes++;
        await (hooks.sleep ?? defaultSleep)(delay, signal).catch(() => {
          throw cancelled(undefined, signal);
        });
      }
    } finally {
      // Leaving the loop early (break, return, throw) cancels the call on the server.
      stop.abort();
    }
  }

  /**
   * The request of the next call: the first one as asked; after an entry, from
   * the next sequence; with fromEnd and no entry yet but a tail reported, from
   * the line after that tail (lines the first call would have sent).
   */
  private resumeRequest(): ReadLogRequestInit {
    if (this.lastSequence > 0n) return { ...this.request, fromSequence: this.lastSequence + 1n, fromEnd: false };
    if (this.request.fromEnd && this.tailSeen) return { ...this.request, fromSequence: this.tailSequence + 1n, fromEnd: false };
    return this.request;
  }
}

/** A gap in the sequences received (the server broke its contract): DATA_LOSS, never resumed. */
function gap(last: bigint, got: bigint): SmarterBaseError {
  return new SmarterBaseError({ code: Code.DataLoss, message: `log read: sequence ${got} received after ${last} (a gap)` });
}

/** The CANCELLED error a read ends with when its signal aborts: the call's own, or one made from the abort reason. */
function cancelled(error: SmarterBaseError | undefined, signal: AbortSignal): SmarterBaseError {
  if (error?.code === Code.Canceled) return error;
  return new SmarterBaseError({ code: Code.Canceled, message: 'the log read was cancelled', cause: signal.reason });
}
