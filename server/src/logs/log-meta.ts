/**
 * A log's meta object `logs/<name>/meta` (docs/adr/0013 §12), written only by
 * the compactor under `logc:<name>`, by compare-and-swap: where segments end
 * (the tail hint: listings start after it, so tail discovery is O(chunks
 * since the hint), not O(log)), the oldest retained sequence, and how many
 * segment bytes the log holds.
 */
import { ConditionFailedError, type BlobStore } from '../storage/blob-store.js';
import { metaKey } from './log-name.js';

/** The meta's fields. */
export interface LogMeta {
  /** The last sequence held by a segment (0: none yet). */
  readonly segmentsThrough: number;
  /** The oldest sequence still stored (1 until retention trims). */
  readonly oldestSequence: number;
  /** The segments' total bytes. */
  readonly segmentBytes: number;
  /** How many segments the log holds. */
  readonly segments: number;
}

/** The meta of a log never compacted. */
export const EMPTY_META: LogMeta = { segmentsThrough: 0, oldestSequence: 1, segmentBytes: 0, segments: 0 };

/** Reads the meta and its etag (EMPTY_META and no etag when it does not exist). */
export async function readMeta(store: BlobStore, log: string, signal?: AbortSignal): Promise<{ meta: LogMeta; etag?: string }> {
  const blob = await store.get(metaKey(log), signal);
  if (blob === undefined) return { meta: EMPTY_META };
  const m = (JSON.parse(Buffer.from(blob.body).toString('utf8')) as { smarterbase: { log: LogMeta } }).smarterbase.log;
  return { meta: { ...EMPTY_META, ...m }, etag: blob.etag };
}

/** Applies `change` to the meta by compare-and-swap, retrying a lost race; returns what was written. */
export async function updateMeta(store: BlobStore, log: string, change: (m: LogMeta) => LogMeta, signal?: AbortSignal): Promise<LogMeta> {
  for (;;) {
    const { meta, etag } = await readMeta(store, log, signal);
    const next = change(meta);
    if (next === meta) return meta;
    const body = Buffer.from(JSON.stringify({ smarterbase: { schemaVersion: 1, log: next } }), 'utf8');
    try {
      await store.put(metaKey(log), body, etag === undefined ? { ifNoneMatch: true } : { ifMatch: etag }, signal);
      return next;
    } catch (err) {
      if (!(err instanceof ConditionFailedError)) throw err;
    }
  }
}
