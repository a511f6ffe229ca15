/**
 * Keeping the request-id index (request-index.ts) in step with the chunks in
 * storage (docs/adr/0013 §10), under the log's writer mutex: chunks that
 * landed but were not indexed (a holder whose PUT outcome was unknown, or
 * whose index write failed) are read and indexed; a lost index is rebuilt
 * from the chunk headers within the window, walking back from the tail.
 */
import type { BlobStore } from '../storage/blob-store.js';
import type { RidRecord } from './chunk-format.js';
import { listChunks, readChunk, type ChunkRef } from './log-tail.js';
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
 * Reads and indexes every chunk starting at or after `from`, moving the
 * index's mark past each; returns the next sequence after them (`from` when
 * there is none).
 */
export async function indexChunksFrom(deps: IndexSyncDeps, log: string, from: number, signal?: AbortSignal): Promise<SyncResult> {
  let next = from;
  const rids = new Map<string, RidRecord>();
  for await (const ref of listChunks(deps.store, log, from - 1, signal)) {
    const chunk = await readChunk(deps.store, ref.key, signal);
    if (chunk === undefined) continue;
    next = chunk.first + chunk.lines.length;
    for (const [id, r] of chunk.rids) rids.set(id, r);
    await deps.index.record(log, chunk.rids, chunk.timeMs, next, signal);
  }
  return { next, rids };
}

/**
 * Rebuilds a lost (or new) index of a log whose next sequence is `next`:
 * reads the chunks of `chunks` from the last back while they were written
 * within the window, records their ids, and only then sets the mark (a
 * rebuild cut short leaves the index marked lost).
 */
export async function rebuildIndex(
  deps: IndexSyncDeps,
  log: string,
  chunks: readonly ChunkRef[],
  next: number,
  signal?: AbortSignal,
): Promise<SyncResult> {
  const cutoff = deps.now() - deps.windowMs;
  const rids = new Map<string, RidRecord>();
  for (let i = chunks.length - 1; i >= 0; i--) {
    const chunk = await readChunk(deps.store, chunks[i]!.key, signal);
    if (chunk === undefined) continue;
    if (chunk.timeMs < cutoff) break;
    for (const [id, r] of chunk.rids) if (!rids.has(id)) rids.set(id, r);
    await deps.index.record(log, chunk.rids, chunk.timeMs, undefined, signal);
  }
  await deps.index.record(log, new Map(), deps.now(), next, signal);
  return { next, rids };
}
