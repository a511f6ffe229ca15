/**
 * Rolling a log's chunks into segments (docs/adr/0013 §12). After a flush,
 * when the chunks past the last segment hold `segmentBytes` or the oldest is
 * older than `segmentMaxAgeMs`, one server (mutex `logc:<name>`) writes one
 * segment `logs/<name>/s/<last seq>` create-only from those chunks in order,
 * moves the meta's tail hint past it (CAS), then deletes the chunks.
 *
 * Crash safety: the segment lands before any chunk is deleted, so readers
 * find every line in one or the other (log-source.ts). A crash after the
 * segment PUT leaves chunks below the last segment: the next run finds the
 * segment by listing after the meta's hint, fixes the meta and deletes them.
 * An "exists" on the segment PUT means an earlier run wrote the same range
 * (it starts after the same last segment): it is used as is.
 */
import type { Clock } from '../common/clock.js';
import type { Failpoints } from '../common/failpoints.js';
import type { Coordinator, MutexHandle } from '../coordination/coordinator.js';
import type { LogRetention } from './log-retention.js';
import { ConditionFailedError, type BlobStore } from '../storage/blob-store.js';
import type { ChunkCache } from './chunk-cache.js';
import type { Chunk } from './chunk-format.js';
import { readMeta, updateMeta } from './log-meta.js';
import { segmentKey } from './log-name.js';
import { findTail, listSegments, readChunk, type ChunkRef } from './log-tail.js';
import { decodeSegment, encodeSegment } from './segment-format.js';

/** What the compactor needs. */
export interface LogCompactorOptions {
  readonly store: BlobStore;
  readonly coordinator: Coordinator;
  readonly clock: Clock;
  /** The flusher's recent chunks: compaction mostly needs no GET. */
  readonly cache: ChunkCache;
  readonly failpoints?: Failpoints;
  /** Roll when the chunks past the last segment hold this many bytes (SB_LOG_SEGMENT_BYTES); also a segment's size cap. */
  readonly segmentBytes: number;
  /** Roll when the oldest of them is this old, in ms (SB_LOG_SEGMENT_MAX_AGE_MS). */
  readonly segmentMaxAgeMs: number;
  /** Segments keep request ids of chunks younger than this, in ms. */
  readonly requestIdWindowMs: number;
  /** The log's retention (none: keep forever); applied after each run. */
  readonly retentionOf?: (log: string) => LogRetention | undefined;
  /** Receives failures of background runs (the chunks stay; a later run retries). */
  readonly onWarning?: (err: unknown, msg: string) => void;
}

/** The chunk's size in the segment, about (its lines and a header). */
const sizeOf = (c: Chunk): number => c.lines.reduce((n, l) => n + Buffer.byteLength(l, 'utf8') + 1, 200);

/** Compacts the logs this server appends to, in the background. */
export class LogCompactor {
  private readonly running = new Map<string, Promise<void>>();
  private readonly since = new Map<string, { atMs: number; bytes: number }>();
  private readonly closing = new AbortController();

  constructor(private readonly o: LogCompactorOptions) {}

  /**
   * Called after each flush of `log` (`bytes` written): checks at most every
   * quarter of the age limit, or sooner once a quarter of a segment was
   * written here, and runs one compaction in the background.
   */
  flushed(log: string, bytes: number): void {
    if (this.closing.signal.aborted || this.running.has(log)) return;
    const now = this.o.clock.now();
    const s = this.since.get(log) ?? { atMs: now, bytes: 0 };
    const seen = { atMs: s.atMs, bytes: s.bytes + bytes };
    this.since.set(log, seen);
    if (now - seen.atMs < this.o.segmentMaxAgeMs / 4 && seen.bytes < this.o.segmentBytes / 4) return;
    this.since.set(log, { atMs: now, bytes: 0 });
    const run = (async () => {
      try {
        while (await this.compactOnce(log, this.closing.signal)) {
          /* roll until nothing is due */
        }
      } catch (err) {
        if (!this.closing.signal.aborted) this.o.onWarning?.(err, `log ${log}: compaction failed; a later flush retries`);
      }
    })().finally(() => this.running.delete(log));
    this.running.set(log, run);
  }

  /** Waits for the runs in flight (they stop at their next step). */
  async close(): Promise<void> {
    this.closing.abort();
    await Promise.allSettled([...this.running.values()]);
  }

  /** One compaction of `log` if one is due and no other server is compacting it; true when a segment was written. */
  async compactOnce(log: string, signal?: AbortSignal): Promise<boolean> {
    let handle: MutexHandle;
    try {
      handle = await this.o.coordinator.acquireMutex(`logc:${log}`, { ttlMs: 60_000, waitMs: 0, ...(signal ? { signal } : {}) });
    } catch {
      return false; // another server is at it (or coordination is down: the next flush retries)
    }
    try {
      return await this.underMutex(log, signal);
    } finally {
      await handle.release();
    }
  }

  private async underMutex(log: string, signal?: AbortSignal): Promise<boolean> {
    const { store } = this.o;
    const tail = await findTail(store, log, signal);
    const through = tail.segmentsThrough;
    // Chunks at or below the last segment are in it already (a crash after its PUT, or a stray late PUT).
    const done: ChunkRef[] = tail.chunks.filter((r) => r.first <= through);
    const picked: { ref: ChunkRef; chunk: Chunk }[] = [];
    let bytes = 0;
    let expect = through + 1;
    for (const ref of tail.chunks) {
      if (ref.first <= through) continue;
      if (ref.first !== expect || bytes >= this.o.segmentBytes) break;
      const chunk = this.o.cache.get(ref.key) ?? (await readChunk(store, ref.key, signal));
      if (chunk === undefined) break;
      picked.push({ ref, chunk });
      bytes += sizeOf(chunk);
      expect = chunk.first + chunk.lines.length;
    }
    // A crashed run's segment beyond the meta's hint: count it and move the hint first.
    if (done.length > 0) await this.repairMeta(log, through, signal);
    const now = this.o.clock.now();
    const due = picked.length > 0 && (bytes >= this.o.segmentBytes || now - picked[0]!.chunk.timeMs >= this.o.segmentMaxAgeMs);
    if (due) {
      const last = expect - 1;
      const body = encodeSegment(
        picked.map((p) => p.chunk),
        now - this.o.requestIdWindowMs,
      );
      let wrote = true;
      try {
        await store.put(segmentKey(log, last), body, { ifNoneMatch: true }, signal);
      } catch (err) {
        if (!(err instanceof ConditionFailedError)) throw err;
        wrote = false; // an earlier run wrote this range
      }
      await this.o.failpoints?.reached('log.after-segment-put');
      await updateMeta(
        store,
        log,
        (m) => ({
          ...m,
          segmentsThrough: Math.max(m.segmentsThrough, last),
          segmentBytes: m.segmentBytes + (wrote ? body.length : 0),
          segments: m.segments + (wrote ? 1 : 0),
        }),
        signal,
      );
      done.push(...picked.map((p) => p.ref));
    }
    for (const ref of done) await store.delete(ref.key, undefined, signal);
    await this.trim(log, signal);
    return due;
  }

  /**
   * Retention (docs/adr/0013 §12): deletes whole segments from the head while
   * the oldest one's last line is older than retainMs or the segments hold
   * more than retainBytes, raising meta.oldestSequence before each delete
   * (readers then get SEQUENCE_TRIMMED, never a missing segment). A crash
   * between the two leaves a segment below the oldest sequence: deleted on
   * the next run.
   */
  private async trim(log: string, signal?: AbortSignal): Promise<void> {
    const r = this.o.retentionOf?.(log);
    if (r === undefined || (r.retainMs === undefined && r.retainBytes === undefined)) return;
    const { store } = this.o;
    for await (const seg of listSegments(store, log, 0, signal)) {
      const { meta } = await readMeta(store, log, signal);
      if (seg.last > meta.segmentsThrough) return; // not counted in the meta yet
      if (seg.last >= meta.oldestSequence) {
        const big = r.retainBytes !== undefined && meta.segmentBytes > r.retainBytes;
        if (!big && r.retainMs === undefined) return; // within the size limit: no GET needed
        const blob = await store.get(seg.key, signal);
        if (blob === undefined) continue;
        const chunks = decodeSegment(seg.key, blob.body);
        const lastTimeMs = chunks[chunks.length - 1]?.timeMs ?? 0;
        const old = r.retainMs !== undefined && this.o.clock.now() - lastTimeMs > r.retainMs;
        if (!old && !big) return;
        await updateMeta(
          store,
          log,
          (m) => ({
            ...m,
            oldestSequence: Math.max(m.oldestSequence, seg.last + 1),
            segmentBytes: Math.max(0, m.segmentBytes - blob.body.length),
            segments: Math.max(0, m.segments - 1),
          }),
          signal,
        );
      }
      await store.delete(seg.key, undefined, signal);
    }
  }

  /** After a crash between a segment PUT and its meta update: counts the segments past the meta's hint and moves the hint. */
  private async repairMeta(log: string, through: number, signal?: AbortSignal): Promise<void> {
    const { meta } = await readMeta(this.o.store, log, signal);
    if (meta.segmentsThrough >= through) return;
    let bytes = 0;
    let count = 0;
    for await (const seg of listSegments(this.o.store, log, meta.segmentsThrough, signal)) {
      const blob = await this.o.store.get(seg.key, signal);
      bytes += blob?.body.length ?? 0;
      count++;
    }
    await updateMeta(
      this.o.store,
      log,
      (m) =>
        m.segmentsThrough >= through
          ? m
          : { ...m, segmentsThrough: through, segmentBytes: m.segmentBytes + bytes, segments: m.segments + count },
      signal,
    );
  }
}
