/**
 * Logs: the LogService calls of the client, reached as `db.logs`:
 * append() (one call), appender() (batching, exactly-once retries) and
 * read() (an async iterable that resumes by itself). What a line may be:
 * LogLine (log-appender.ts).
 */
import { randomUUID } from 'node:crypto';
import { createClient as createConnectClient, createContextValues, type Client, type Transport } from '@connectrpc/connect';
import { toSmarterBaseError } from './errors.js';
import { LogService } from './gen/smarterbase/v1/log_service_pb.js';
import { LogAppender, toLogLine, type AppenderOptions, type LogLine, type SendBatch } from './log-appender.js';
import { LogReadStream, readLogRequest, type ReadLogOptions } from './log-reader.js';
import type { CallOptions, RetryPolicy } from './options.js';
import { NO_AUTO_RETRY } from './retry.js';

/** Options of logs.append(). */
export interface AppendOptions extends CallOptions {
  /** Makes a retry of this append return the first attempt's sequences (10 minutes). Default: a random UUID. */
  readonly requestId?: string;
}

/** What logs.append() returns. */
export interface AppendResult {
  /** The sequence number of the first line; the others follow, consecutive. */
  readonly firstSequence: bigint;
  /** The sequence number of the last line. */
  readonly lastSequence: bigint;
  /** True when requestId matched an earlier append: nothing new was written, these are its sequences. */
  readonly deduplicated: boolean;
  /** The request id sent (to retry this append exactly once yourself). */
  readonly requestId: string;
}

/** The log calls of a SmarterBaseClient (`db.logs`). */
export class LogCalls {
  /** The generated LogService client (errors are not converted). */
  readonly rpc: Client<typeof LogService>;

  /** Used by SmarterBaseClient; `opts` applies the client's default deadline, `retry` is its retry policy. */
  constructor(
    transport: Transport,
    private readonly opts: (o: CallOptions | undefined) => { timeoutMs?: number; signal?: AbortSignal },
    private readonly retry: RetryPolicy | false | undefined,
  ) {
    this.rpc = createConnectClient(LogService, transport);
  }

  /**
   * Appends 1 to 1000 lines to a log, in order, as one request: they get
   * consecutive sequence numbers, or none is appended. A random request id is
   * sent unless options.requestId is given, so the automatic UNAVAILABLE retry
   * never appends twice.
   */
  async append(log: string, lines: readonly LogLine[], options?: AppendOptions): Promise<AppendResult> {
    const requestId = options?.requestId ?? randomUUID();
    const req = { log, lines: lines.map(toLogLine), requestId };
    try {
      const res = await this.rpc.append(req, this.opts(options));
      return { firstSequence: res.firstSequence, lastSequence: res.lastSequence, deduplicated: res.deduplicated, requestId };
    } catch (e) {
      throw toSmarterBaseError(e);
    }
  }

  /**
   * A batching appender of one log: `appender.add(line)` resolves to the
   * line's sequence number; lines are sent in batches, one in flight, in add
   * order; a batch is retried with its request id (exactly once) on
   * UNAVAILABLE, DEADLINE_EXCEEDED or a lost connection. Call close() when done.
   */
  appender(log: string, options?: AppenderOptions): LogAppender {
    const send: SendBatch = async (lines, requestId) => {
      const contextValues = createContextValues().set(NO_AUTO_RETRY, true);
      return this.rpc.append({ log, lines, requestId }, { ...this.opts(undefined), contextValues });
    };
    const retry = options?.retry ?? (this.retry === false ? { maxAttempts: 1 } : this.retry);
    return new LogAppender(send, { ...options, retry });
  }

  /**
   * Reads a log in sequence order: `for await (const entry of db.logs.read(log, { follow: true }))`.
   * Resumes by itself after a disconnect from the last sequence received + 1;
   * SEQUENCE_TRIMMED (OUT_OF_RANGE) ends it with the error. The call starts
   * when iteration does, with no deadline.
   */
  read(log: string, options?: ReadLogOptions): LogReadStream {
    return new LogReadStream((req, signal) => this.rpc.readLog(req, { timeoutMs: 0, signal }), readLogRequest(log, options), options);
  }
}
