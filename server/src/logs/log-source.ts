/**
 * The chunks of a log from a sequence on, wherever they are (docs/adr/0013
 * §11–§12): the current chunks when one holds the sequence, else the segments
 * from the one holding it (one listing, `startAfter` = key(from − 1), as
 * segments are keyed by their last sequence), then chunks again. A chunk
 * deleted between listing and GET, or a gap in the chunks, means the
 * compactor rolled them into a segment (written before any chunk is
 * deleted): look in the segments and continue. No listing walks the log
 * from its start.
 */
import { DbError } from '../errors/db-error.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { ChunkCache } from './chunk-cache.js';
import type { Chunk } from './chunk-format.js';
import { readMeta } from './log-meta.js';
import { listChunks, listSegments, readChunk, type ChunkRef } from './log-tail.js';
import { decodeSegment } from './segment-format.js';

/** OUT_OF_RANGE / SEQUENCE_TRIMMED for a sequence below the oldest retained. */
export function trimmedBelow(log: string, requested: number, oldest: number, tail: number): DbError {
  return new DbError('out_of_range', 'SEQUENCE_TRIMMED', `sequence ${requested} is below the oldest retained (${oldest})`, {
    metadata: { log, requestedSequence: String(requested), oldestSequence: String(oldest), tailSequence: String(tail) },
  });
}

const end = (c: Chunk): number => c.first + c.lines.length;

/**
 * Yields, in order, the chunks that hold sequences `from` and after, up to
 * the end of what is stored (the first may start before `from`: callers skip
 * its earlier lines). Ends when nothing holds the next sequence. `after`: a
 * first sequence below that of the chunk holding `from` when that is a chunk
 * (the last segment's end, or the previous chunk's first), so the chunk
 * listing starts there instead of at the log's oldest chunk.
 */
export async function* chunksFrom(
  store: BlobStore,
  cache: ChunkCache | undefined,
  log: string,
  from: number,
  after = 0,
  signal?: AbortSignal,
): AsyncGenerator<Chunk> {
  let next = from;
  for (;;) {
    const refs: ChunkRef[] = [];
    for await (const ref of listChunks(store, log, after, signal)) refs.push(ref);
    let i = refs.findLastIndex((r) => r.first <= next);
    let relist = false;
    if (i >= 0) {
      for (; i < refs.length; i++) {
        const ref = refs[i]!;
        const chunk = cache?.get(ref.key) ?? (await readChunk(store, ref.key, signal));
        if (chunk === undefined) {
          relist = true; // compacted since the listing: it is in a segment now
          break;
        }
        cache?.put(ref.key, chunk);
        if (chunk.first > next) break; // a gap: the chunks between were rolled into a segment
        if (end(chunk) <= next) continue;
        yield chunk;
        next = end(chunk);
        after = chunk.first;
      }
      if (relist) continue;
    }
    let found = false;
    for await (const seg of listSegments(store, log, next - 1, signal)) {
      const blob = await store.get(seg.key, signal);
      if (blob === undefined) {
        await checkTrimmed(store, log, next, signal); // retention deleted it after raising the oldest sequence
        break;
      }
      for (const chunk of decodeSegment(seg.key, blob.body)) {
        if (end(chunk) <= next) continue;
        if (chunk.first > next) {
          await checkTrimmed(store, log, next, signal); // the segments before it were trimmed
          throw new DbError('internal', 'INTERNAL_ERROR', `log ${log}: segment ${seg.key} leaves a gap after ${next - 1}`);
        }
        yield chunk;
        next = end(chunk);
        after = chunk.first;
      }
      found = true;
    }
    if (!found) return;
  }
}

/** Throws SEQUENCE_TRIMMED when retention raised the oldest sequence above `next`. */
async function checkTrimmed(store: BlobStore, log: string, next: number, signal?: AbortSignal): Promise<void> {
  const { meta } = await readMeta(store, log, signal);
  if (next < meta.oldestSequence) throw trimmedBelow(log, next, meta.oldestSequence, meta.segmentsThrough);
}
