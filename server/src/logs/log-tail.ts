/**
 * Listing a log in storage (docs/adr/0013 §9, §12): chunks keyed
 * `logs/<name>/c/<first sequence>`, segments keyed `logs/<name>/s/<last
 * sequence>`, and the meta's tail hint (where segments end). Storage holds a
 * contiguous prefix 1…t. The compactor writes a segment before it deletes its
 * chunks, so listing chunks first and segments second sees every line that
 * existed when the chunk listing started.
 */
import type { BlobStore } from '../storage/blob-store.js';
import { decodeChunk, type Chunk } from './chunk-format.js';
import { readMeta } from './log-meta.js';
import { chunkFirstOf, chunkKey, chunkPrefix, segmentKey, segmentPrefix } from './log-name.js';

/** A chunk's key and its first sequence. */
export interface ChunkRef {
  readonly key: string;
  readonly first: number;
}

/** A segment's key and its last sequence. */
export interface SegmentRef {
  readonly key: string;
  readonly last: number;
}

async function* listNumbered(
  store: BlobStore,
  prefix: string,
  startAfter: string | undefined,
  signal?: AbortSignal,
): AsyncGenerator<ChunkRef> {
  let after = startAfter;
  for (;;) {
    const page = await store.list({ prefix, limit: 1000, ...(after === undefined ? {} : { startAfter: after }) }, signal);
    for (const key of page.keys) {
      const n = chunkFirstOf(key);
      if (n !== undefined) yield { key, first: n };
    }
    if (!page.isTruncated || page.keys.length === 0) return;
    after = page.keys[page.keys.length - 1];
  }
}

/** Lists the log's chunks in sequence order, those starting after `afterFirst` (0: all). */
export async function* listChunks(store: BlobStore, log: string, afterFirst: number, signal?: AbortSignal): AsyncGenerator<ChunkRef> {
  yield* listNumbered(store, chunkPrefix(log), afterFirst > 0 ? chunkKey(log, afterFirst) : undefined, signal);
}

/** Lists the log's segments in order, those whose last sequence is above `afterLast` (0: all). */
export async function* listSegments(store: BlobStore, log: string, afterLast: number, signal?: AbortSignal): AsyncGenerator<SegmentRef> {
  for await (const r of listNumbered(store, segmentPrefix(log), afterLast > 0 ? segmentKey(log, afterLast) : undefined, signal)) {
    yield { key: r.key, last: r.first };
  }
}

/** Reads and decodes one chunk; undefined when it does not exist (never written, or compacted away). */
export async function readChunk(store: BlobStore, key: string, signal?: AbortSignal): Promise<Chunk | undefined> {
  const blob = await store.get(key, signal);
  return blob === undefined ? undefined : decodeChunk(key, blob.body);
}

/** What tail discovery found. */
export interface FoundTail {
  /** The next sequence to assign (1 for a log never appended). */
  readonly next: number;
  /** The chunks the listing returned, in order (some may lie below segmentsThrough: compacted, not yet deleted). */
  readonly chunks: readonly ChunkRef[];
  /** The last sequence held by a segment (0: none). */
  readonly segmentsThrough: number;
  /** The oldest sequence retained (from the meta). */
  readonly oldestSequence: number;
}

/**
 * The log's next sequence: the later of the last segment's end and the last
 * chunk's (its header read); the segments are listed after the meta's hint.
 * A chunk deleted by the compactor between listing and GET is in a segment
 * by then: list again.
 */
export async function findTail(store: BlobStore, log: string, signal?: AbortSignal): Promise<FoundTail> {
  for (;;) {
    const chunks: ChunkRef[] = [];
    for await (const ref of listChunks(store, log, 0, signal)) chunks.push(ref);
    const { meta } = await readMeta(store, log, signal);
    let segmentsThrough = meta.segmentsThrough;
    for await (const s of listSegments(store, log, meta.segmentsThrough, signal)) segmentsThrough = s.last;
    const lastRef = chunks[chunks.length - 1];
    const base = { chunks, segmentsThrough, oldestSequence: meta.oldestSequence };
    if (lastRef === undefined || lastRef.first <= segmentsThrough) return { next: segmentsThrough + 1, ...base };
    const last = await readChunk(store, lastRef.key, signal);
    if (last === undefined) continue;
    return { next: Math.max(segmentsThrough + 1, last.first + last.lines.length), ...base };
  }
}
