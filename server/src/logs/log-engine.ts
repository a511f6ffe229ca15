/**
 * The logs' facade (LogApi, docs/adr/0013 §9–§11): validates requests
 * (names, lines, request ids, bounds) before anything is queued — so a bad
 * line leaves none of its request's lines appended — then hands appends to
 * the flusher and reads to the reader. Followers are limited per server.
 */
import type { CallContext } from '../api/call-context.js';
import type { AppendInput, AppendResult, LogApi, ReadLogInput, ReadLogItem } from '../api/log-api.js';
import { abortError } from '../common/abort.js';
import type { Clock } from '../common/clock.js';
import type { Failpoints } from '../common/failpoints.js';
import type { Coordinator } from '../coordination/coordinator.js';
import type { LogRetention } from './log-retention.js';
import { DbError, invalid } from '../errors/db-error.js';
import type { BlobStore } from '../storage/blob-store.js';
import { PROGRESS_INTERVAL_MS } from '../streams/watch-input.js';
import { ChunkCache } from './chunk-cache.js';
import { linesSha } from './chunk-format.js';
import { jsonLineProblem } from './json-line.js';
import { LogCompactor } from './log-compactor.js';
import { LogFlusher } from './log-flusher.js';
import { validateLogName } from './log-name.js';
import { LogNotifier, type WakePublisher } from './log-notifier.js';
import { LogReader } from './log-reader.js';
import type { RequestIndex } from './request-index.js';

/** Most lines of one append. */
export const MAX_APPEND_LINES = 1000;
/** Longest request id, in characters. */
export const MAX_REQUEST_ID_CHARS = 128;

/** The logs' settings (docs/configuration.md). */
export interface LogSettings {
  readonly batchMaxLines: number;
  readonly batchMaxBytes: number;
  readonly maxLineBytes: number;
  readonly requestIdWindowMs: number;
  readonly followPollMs: number;
  /** Roll chunks into a segment at this many bytes (SB_LOG_SEGMENT_BYTES). */
  readonly segmentBytes: number;
  /** Roll chunks into a segment when the oldest is this old, in ms (SB_LOG_SEGMENT_MAX_AGE_MS). */
  readonly segmentMaxAgeMs: number;
  /** Followers one server serves at once (SB_MAX_WATCHERS). */
  readonly maxFollowers: number;
}

/** What the engine is built from. */
export interface LogEngineOptions {
  readonly store: BlobStore;
  readonly coordinator: Coordinator;
  readonly index: RequestIndex;
  readonly clock: Clock;
  readonly settings: LogSettings;
  readonly failpoints?: Failpoints;
  readonly onWarning?: (err: unknown, msg: string) => void;
  /** A log's retention (collections file, else SB_LOG_RETAIN_*); none: keep forever. */
  readonly retentionOf?: (log: string) => LogRetention | undefined;
  /** Tells the other servers a log grew (Redis pub/sub); their relays call wakeFollowers. */
  readonly publishWake?: WakePublisher;
}

/** The logs' engine. */
export class LogEngine implements LogApi {
  private readonly flusher: LogFlusher;
  private readonly reader: LogReader;
  private readonly compactor: LogCompactor;
  private readonly notifier: LogNotifier;
  private followers = 0;
  /** Aborted by endFollowers(): every follower ends with SHUTTING_DOWN, and new ones are refused. */
  private readonly ending = new AbortController();

  constructor(private readonly o: LogEngineOptions) {
    const cache = new ChunkCache();
    const notifier = new LogNotifier(o.publishWake);
    this.notifier = notifier;
    const s = o.settings;
    this.compactor = new LogCompactor({
      store: o.store,
      coordinator: o.coordinator,
      clock: o.clock,
      cache,
      segmentBytes: s.segmentBytes,
      segmentMaxAgeMs: s.segmentMaxAgeMs,
      requestIdWindowMs: s.requestIdWindowMs,
      ...(o.failpoints === undefined ? {} : { failpoints: o.failpoints }),
      ...(o.onWarning === undefined ? {} : { onWarning: o.onWarning }),
      ...(o.retentionOf === undefined ? {} : { retentionOf: o.retentionOf }),
    });
    this.flusher = new LogFlusher({
      onFlushed: (log, bytes) => this.compactor.flushed(log, bytes),
      store: o.store,
      coordinator: o.coordinator,
      index: o.index,
      clock: o.clock,
      cache,
      notifier,
      batchMaxLines: s.batchMaxLines,
      batchMaxBytes: s.batchMaxBytes,
      requestIdWindowMs: s.requestIdWindowMs,
      ...(o.failpoints === undefined ? {} : { failpoints: o.failpoints }),
      ...(o.onWarning === undefined ? {} : { onWarning: o.onWarning }),
    });
    this.reader = new LogReader({ store: o.store, cache, notifier, followPollMs: s.followPollMs });
  }

  async append(ctx: CallContext, input: AppendInput): Promise<AppendResult> {
    validateLogName(input.log);
    const { lines } = input;
    if (lines.length === 0) throw invalid('INVALID_ARGUMENT', 'lines', 'lines must hold at least one line');
    if (lines.length > MAX_APPEND_LINES) {
      throw invalid('INVALID_ARGUMENT', 'lines', `at most ${MAX_APPEND_LINES} lines per append (got ${lines.length})`);
    }
    let bytes = 0;
    lines.forEach((line, i) => {
      const problem = jsonLineProblem(line, this.o.settings.maxLineBytes);
      if (problem !== undefined) {
        throw new DbError('invalid', 'INVALID_LOG_LINE', `lines[${i}] ${problem}; nothing was appended`, {
          field: `lines[${i}]`,
          metadata: { field: `lines[${i}]`, index: String(i) },
        });
      }
      bytes += Buffer.byteLength(line, 'utf8');
    });
    const requestId = input.requestId === '' ? undefined : input.requestId;
    if (requestId !== undefined && requestId.length > MAX_REQUEST_ID_CHARS) {
      throw invalid('INVALID_ARGUMENT', 'request_id', `request_id must be at most ${MAX_REQUEST_ID_CHARS} characters`);
    }
    if (ctx.signal.aborted) throw abortError(ctx.signal);
    const pending = this.flusher.append(
      input.log,
      { lines, bytes, ...(requestId === undefined ? {} : { requestId, sha: linesSha(lines) }) },
      ctx.signal,
    );
    const outcome = await raceAbort(pending, ctx.signal);
    return { firstSequence: outcome.first, lastSequence: outcome.last, deduplicated: outcome.deduplicated };
  }

  async *read(ctx: CallContext, input: ReadLogInput): AsyncGenerator<ReadLogItem, void, undefined> {
    validateLogName(input.log);
    if (!Number.isSafeInteger(input.fromSequence) || input.fromSequence < 0) {
      throw invalid('INVALID_ARGUMENT', 'from_sequence', 'from_sequence must be 0 or a sequence number');
    }
    if (input.fromEnd && input.fromSequence !== 0) throw invalid('INVALID_ARGUMENT', 'from_sequence', 'from_end needs from_sequence 0');
    const ms = input.progressIntervalMs;
    if (ms < PROGRESS_INTERVAL_MS.min || ms > PROGRESS_INTERVAL_MS.max) {
      throw invalid('INVALID_ARGUMENT', 'progress_interval', 'progress_interval must be between 100 ms and 60 s');
    }
    if (!input.follow) {
      yield* this.reader.read(input, ctx.signal);
      return;
    }
    if (this.ending.signal.aborted) throw shuttingDown();
    if (this.followers >= this.o.settings.maxFollowers) {
      const limit = this.o.settings.maxFollowers;
      throw new DbError('resource_exhausted', 'SERVER_OVERLOADED', `this server already serves ${limit} log followers`, {
        metadata: { limit: String(limit) },
        retryDelayMs: 1000,
      });
    }
    this.followers++;
    try {
      yield* this.reader.read(input, AbortSignal.any([ctx.signal, this.ending.signal]));
    } catch (err) {
      if (this.ending.signal.aborted && !ctx.signal.aborted) throw shuttingDown();
      throw err;
    } finally {
      this.followers--;
    }
  }

  /** Another server appended to `log` (its relayed notification): followers here read on at once. */
  wakeFollowers(log: string): void {
    this.notifier.wake(log);
  }

  /** Ends every follower with UNAVAILABLE / SHUTTING_DOWN (they never end by themselves) and refuses new ones: at shutdown. */
  endFollowers(): void {
    this.ending.abort();
  }

  /** Followers being served now. */
  activeFollowers(): number {
    return this.followers;
  }

  /** Finishes the batches and compactions in flight, then closes the request index. */
  async close(): Promise<void> {
    await this.flusher.close();
    await this.compactor.close();
    await this.o.index.close();
  }
}

function shuttingDown(): DbError {
  return new DbError('unavailable', 'SHUTTING_DOWN', 'the server is shutting down; read again (on another server) from the next sequence');
}

/** `p`, or the abort error as soon as `signal` aborts (the append itself goes on: a retry by request id finds it). */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
