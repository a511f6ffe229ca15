/**
 * The logs' API (LogService; docs/streams.md "Logs"): what the RPC layer
 * calls, implemented by logs/log-engine.ts. Errors are DbErrors.
 */
import type { CallContext } from './call-context.js';

/** An append (LogService.Append). */
export interface AppendInput {
  readonly log: string;
  /** 1 to 1000 JSON texts, each on one line. */
  readonly lines: readonly string[];
  /** Makes a retry return the first attempt's sequences ('' or absent: none). */
  readonly requestId?: string;
}

/** Where the appended lines are. */
export interface AppendResult {
  readonly firstSequence: number;
  readonly lastSequence: number;
  /** True when requestId matched an earlier append (nothing new written). */
  readonly deduplicated: boolean;
}

/** A read (LogService.ReadLog). */
export interface ReadLogInput {
  readonly log: string;
  /** The first sequence to send; 0: the oldest retained. */
  readonly fromSequence: number;
  /** Only lines appended after the call starts. */
  readonly fromEnd: boolean;
  /** Keep the stream open at the tail. */
  readonly follow: boolean;
  /** With follow: idle time before a progress item, in ms. */
  readonly progressIntervalMs: number;
}

/** One line of a log. */
export interface LogLine {
  readonly sequence: number;
  /** The JSON text as appended. */
  readonly line: string;
  /** When its batch was written, ms since the epoch. */
  readonly appendTimeMs: number;
}

/** One message of a read; without entries it is a progress message. */
export interface ReadLogItem {
  readonly entries: readonly LogLine[];
  /** Every line up to this sequence has been sent. */
  readonly tailSequence: number;
}

/** The logs' API. */
export interface LogApi {
  /** Appends lines; resolves once they are durable, with their sequences. */
  append(ctx: CallContext, input: AppendInput): Promise<AppendResult>;
  /** Streams a log's lines in sequence order; with follow, ends only by ctx.signal or an error. */
  read(ctx: CallContext, input: ReadLogInput): AsyncGenerator<ReadLogItem, void, undefined>;
}
