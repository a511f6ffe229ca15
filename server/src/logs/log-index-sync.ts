/**
 * Keeping the request-id index (request-index.ts) in step with the chunks in
 * storage (docs/adr/0013 §10), under the log's writer mutex: chunks that
 * landed but were not indexed (a holder whose PUT outcome was unknown, or
 * whose index write failed) are read and indexed; a lost index is rebuilt
 * from the chunk headers within the window (chunks, then segments), walking
 * back from the tail.
 */
import type { BlobStore } from '../storage/blob-store.js';
import type { Chunk, RidRecord } from './chunk-format.js';
import { chunksFrom } from './log-source.js';
import { listChunks, listSegments, readChunk, type ChunkRef, type SegmentRef } from './log-tail.js';
import { decodeSegment } from './segment-format.js';
import type { RequestIndex } from './request-index.js';

/** What syncing needs. */
export interface IndexSyncDeps {
  readonly store: BlobStore;
  readonly index: RequestIndex;
  /** How long request ids are remembered, in ms. */
  readonly windowMs: number;
  /** The current time in ms. */
  readonly now: () => number;
}

/** What a sync found: the log's next sequence and the request ids of the chunks it read. */
export interface SyncResult {
  readonly next: number;
  readonly rids: ReadonlyMap<string, RidRecord>;
}

/**
 * Reads and indexes every chunk holding `from` or later (in chunks or
 * segments), moving the index's mark past each; returns the next sequence
 * after them (`from` when there is none). `from` is a chunk boundary (the
 * mark, or a chunk's end), so the chunk listing starts after `from − 1`.
 */
export async function indexChunksFrom(deps: IndexSyncDeps, log: string, from: number, signal?: AbortSignal): Promise<SyncResult> {
  let next = from;
  const rids = new Map<string, RidRecord>();
  for await (const chunk of chunksFrom(deps.store, undefined, log, from, from - 1, signal)) {
    next = chunk.first + chunk.lines.length;
    for (const [id, r] of chunk.rids) rids.set(id, r);
    await deps.index.record(log, chunk.rids, chunk.timeMs, next, signal);
  }
  return { next, rids };
}

/**
 * Rebuilds a lost (or new) index of a log whose next sequence is `next`:
 * reads its chunks, then its segments, from the last back while they were
 * written within the window, records their ids, and only then sets the
 * mark (a rebuild cut short leaves the index marked lost). Segments keep the
 * ids of their chunks that were within the window when they were written.
 */
export async function rebuildIndex(deps: IndexSyncDeps, log: string, next: number, signal?: AbortSignal): Promise<SyncResult> {
  const cutoff = deps.now() - deps.windowMs;
  const rids = new Map<string, RidRecord>();
  const visit = async (chunk: Chunk): Promise<boolean> => {
    if (chunk.timeMs < cutoff) return false;
    for (const [id, r] of chunk.rids) if (!rids.has(id)) rids.set(id, r);
    await deps.index.record(log, chunk.rids, chunk.timeMs, undefined, signal);
    return true;
  };
  let within = await walkBack(deps.store, log, visit, signal);
  if (within) {
    const segments: SegmentRef[] = [];
    for await (const s of listSegments(deps.store, log, 0, signal)) segments.push(s);
    for (let i = segments.length - 1; i >= 0 && within; i--) {
      const blob = await deps.store.get(segments[i]!.key, signal);
      if (blob === undefined) break; // trimmed by retention: older ones are gone too
      const chunks = decodeSegment(segments[i]!.key, blob.body);
      for (let j = chunks.length - 1; j >= 0 && within; j--) within = await visit(chunks[j]!);
    }
  }
  await deps.index.record(log, new Map(), deps.now(), next, signal);
  return { next, rids };
}

/** Visits the current chunks from the last back until `visit` says stop; true when every chunk was within. */
async function walkBack(store: BlobStore, log: string, visit: (c: Chunk) => Promise<boolean>, signal?: AbortSignal): Promise<boolean> {
  const refs: ChunkRef[] = [];
  for await (const ref of listChunks(store, log, 0, signal)) refs.push(ref);
  for (let i = refs.length - 1; i >= 0; i--) {
    const chunk = await readChunk(store, refs[i]!.key, signal);
    if (chunk === undefined) continue; // compacted meanwhile: the segments hold it
    if (!(await visit(chunk))) return false;
  }
  return true;
}
