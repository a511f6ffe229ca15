/**
 * Reading a log (docs/adr/0013 §11): from a sequence (or the end), in
 * sequence order, whole lines only, then optionally following the tail. At
 * the tail a follower waits for an in-process notification (this server
 * appended) or the poll interval (another server did), then lists the
 * chunks again (few: the compactor rolls older ones into segments). Where
 * the lines are (chunks or segments) is log-source.ts's business. Storage holds a contiguous prefix of the
 * log, so a listed chunk never has a gap before it that fills later.
 */
import { abortError } from '../common/abort.js';
import { DbError } from '../errors/db-error.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { ChunkCache } from './chunk-cache.js';
import type { Chunk } from './chunk-format.js';
import type { LogNotifier } from './log-notifier.js';
import { chunksFrom, trimmedBelow } from './log-source.js';
import { findTail } from './log-tail.js';

/** What to read (validated by the engine). */
export interface LogReadInput {
  readonly log: string;
  /** The first sequence to send; 0: the oldest retained. */
  readonly fromSequence: number;
  /** Only lines appended after the call starts (fromSequence must be 0). */
  readonly fromEnd: boolean;
  /** Keep going at the tail. */
  readonly follow: boolean;
  /** With follow: idle time before a progress item, in ms. */
  readonly progressIntervalMs: number;
}

/** One line read. */
export interface LogEntryItem {
  readonly sequence: number;
  /** The JSON text as appended. */
  readonly line: string;
  /** When its batch was written (ms since the epoch, by the writer's clock). */
  readonly appendTimeMs: number;
}

/** One message of a read: entries in order, and the sequence up to which everything has been sent. */
export interface LogReadItem {
  readonly entries: readonly LogEntryItem[];
  readonly tailSequence: number;
}

/** What the reader needs. */
export interface LogReaderOptions {
  readonly store: BlobStore;
  readonly cache: ChunkCache;
  readonly notifier: LogNotifier;
  /** How often a follower at the tail lists new chunks, in ms. */
  readonly followPollMs: number;
  /** About how many line bytes one item carries at most. */
  readonly maxItemBytes?: number;
}

function trimmed(log: string, requested: number, tail: number, oldest: number): DbError {
  return new DbError('out_of_range', 'SEQUENCE_TRIMMED', `from_sequence ${requested} is above the log's tail + 1 (${tail + 1})`, {
    metadata: { log, requestedSequence: String(requested), oldestSequence: String(oldest), tailSequence: String(tail) },
  });
}

/** Reads logs from storage for ReadLog. */
export class LogReader {
  constructor(private readonly o: LogReaderOptions) {}

  /** Streams the lines of input.log from its start position; ends at the tail unless following (then only by signal). */
  async *read(input: LogReadInput, signal: AbortSignal): AsyncGenerator<LogReadItem, void, undefined> {
    const { log } = input;
    const found = await findTail(this.o.store, log, signal);
    const tail = found.next - 1;
    let next: number;
    if (input.fromEnd) next = found.next;
    else {
      next = input.fromSequence === 0 ? found.oldestSequence : input.fromSequence;
      if (next > found.next) throw trimmed(log, input.fromSequence, tail, found.oldestSequence);
      if (next < found.oldestSequence) throw trimmedBelow(log, next, found.oldestSequence, tail);
    }
    let lastSent = Date.now();
    // Chunk listings start after this first sequence: the segments' end, then the last chunk read.
    let after = Math.min(found.segmentsThrough, next - 1);
    for (;;) {
      for await (const chunk of chunksFrom(this.o.store, this.o.cache, log, next, after, signal)) {
        after = chunk.first;
        for (const item of this.items(chunk, next)) {
          next = item.tailSequence + 1;
          yield item;
          lastSent = Date.now();
        }
      }
      if (!input.follow) return;
      for (;;) {
        if (signal.aborted) throw abortError(signal);
        const idle = Date.now() - lastSent;
        if (idle >= input.progressIntervalMs) {
          yield { entries: [], tailSequence: next - 1 };
          lastSent = Date.now();
          continue;
        }
        await this.o.notifier.wait(log, Math.min(this.o.followPollMs, input.progressIntervalMs - idle), signal);
        if (signal.aborted) throw abortError(signal);
        break;
      }
    }
  }

  /** The chunk's lines from `from` on, as items of at most about maxItemBytes each. */
  private *items(chunk: Chunk, from: number): Generator<LogReadItem> {
    const max = this.o.maxItemBytes ?? 1024 * 1024;
    let entries: LogEntryItem[] = [];
    let bytes = 0;
    for (let i = Math.max(0, from - chunk.first); i < chunk.lines.length; i++) {
      const line = chunk.lines[i]!;
      if (entries.length > 0 && bytes + line.length > max) {
        yield { entries, tailSequence: entries[entries.length - 1]!.sequence };
        entries = [];
        bytes = 0;
      }
      entries.push({ sequence: chunk.first + i, line, appendTimeMs: chunk.timeMs });
      bytes += line.length;
    }
    if (entries.length > 0) yield { entries, tailSequence: entries[entries.length - 1]!.sequence };
  }
}
