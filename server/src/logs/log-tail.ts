/**
 * Finding a log's tail in storage (docs/adr/0013 §9): its chunks are keyed
 * `logs/<name>/c/<20-digit first sequence>`, and storage always holds a
 * contiguous prefix 1…t, so the last chunk's header gives the tail. This
 * slice has no segments nor tail hint yet: the listing covers every chunk
 * (one request per 1,000 chunks).
 */
import { DbError } from '../errors/db-error.js';
import type { BlobStore } from '../storage/blob-store.js';
import { decodeChunk, type Chunk } from './chunk-format.js';
import { chunkFirstOf, chunkKey, chunkPrefix } from './log-name.js';

/** A chunk's key and its first sequence. */
export interface ChunkRef {
  readonly key: string;
  readonly first: number;
}

/** Lists the log's chunks in sequence order, those starting after `afterFirst` (0: all). */
export async function* listChunks(store: BlobStore, log: string, afterFirst: number, signal?: AbortSignal): AsyncGenerator<ChunkRef> {
  const prefix = chunkPrefix(log);
  let startAfter = afterFirst > 0 ? chunkKey(log, afterFirst) : undefined;
  for (;;) {
    const page = await store.list({ prefix, limit: 1000, ...(startAfter === undefined ? {} : { startAfter }) }, signal);
    for (const key of page.keys) {
      const first = chunkFirstOf(key);
      if (first !== undefined) yield { key, first };
    }
    if (!page.isTruncated || page.keys.length === 0) return;
    startAfter = page.keys[page.keys.length - 1];
  }
}

/** Reads and decodes one chunk; undefined when it does not exist. */
export async function readChunk(store: BlobStore, key: string, signal?: AbortSignal): Promise<Chunk | undefined> {
  const blob = await store.get(key, signal);
  return blob === undefined ? undefined : decodeChunk(key, blob.body);
}

/** What tail discovery found. */
export interface FoundTail {
  /** The next sequence to assign (1 for a log never appended). */
  readonly next: number;
  /** Every chunk, in order (what the listing returned). */
  readonly chunks: readonly ChunkRef[];
  /** The last chunk, decoded (absent for an empty log). */
  readonly last?: Chunk;
}

/** Lists the log's chunks and reads the last one's header: the next sequence to assign. */
export async function findTail(store: BlobStore, log: string, signal?: AbortSignal): Promise<FoundTail> {
  const chunks: ChunkRef[] = [];
  for await (const ref of listChunks(store, log, 0, signal)) chunks.push(ref);
  const lastRef = chunks[chunks.length - 1];
  if (lastRef === undefined) return { next: 1, chunks };
  const last = await readChunk(store, lastRef.key, signal);
  // Chunks are never deleted in this slice: a listed chunk that is gone is a fault.
  if (last === undefined)
    throw new DbError('internal', 'INTERNAL_ERROR', `log chunk ${lastRef.key} listed but missing`, { metadata: { key: lastRef.key } });
  return { next: last.first + last.lines.length, chunks, last };
}
