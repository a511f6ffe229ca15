import { systemClock } from '../common/clock.js';
import type { LogRetention } from './log-retention.js';
import { Failpoints } from '../common/failpoints.js';
import { LocalCoordinator } from '../coordination/local/local-coordinator.js';
import type { Blob, BlobStore } from '../storage/blob-store.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { ChunkCache } from './chunk-cache.js';
import { linesSha } from './chunk-format.js';
import { LogCompactor } from './log-compactor.js';
import { LogFlusher } from './log-flusher.js';
import { rebuildIndex } from './log-index-sync.js';
import { readMeta } from './log-meta.js';
import { chunkPrefix, segmentPrefix } from './log-name.js';
import { LogNotifier } from './log-notifier.js';
import { LogReader } from './log-reader.js';
import { LocalRequestIndex } from './request-index.js';

const WINDOW = 600_000;

/** A store whose first GET of a chunk first runs `before` (a compaction racing a reader). */
class RacingStore extends MemoryBlobStore {
  before?: () => Promise<void>;
  override async get(key: string, signal?: AbortSignal): Promise<Blob | undefined> {
    const hook = key.includes('/c/') ? this.before : undefined;
    if (hook !== undefined) {
      this.before = undefined;
      await hook();
    }
    return super.get(key, signal);
  }
}

function setup(opts: { segmentBytes?: number; maxAgeMs?: number; retain?: LogRetention } = {}) {
  const store = new RacingStore();
  const coordinator = new LocalCoordinator();
  const failpoints = new Failpoints();
  const flusher = (index = new LocalRequestIndex(WINDOW, () => Date.now())) =>
    new LogFlusher({
      store,
      coordinator: new LocalCoordinator(), // no memo shared: every flush of a new flusher finds the tail in storage
      index,
      clock: systemClock,
      cache: new ChunkCache(),
      notifier: new LogNotifier(),
      batchMaxLines: 1000,
      batchMaxBytes: 1 << 20,
      requestIdWindowMs: WINDOW,
    });
  const compactor = new LogCompactor({
    store,
    coordinator,
    clock: systemClock,
    cache: new ChunkCache(),
    failpoints,
    segmentBytes: opts.segmentBytes ?? 1 << 20,
    segmentMaxAgeMs: opts.maxAgeMs ?? 0,
    requestIdWindowMs: WINDOW,
    ...(opts.retain === undefined ? {} : { retentionOf: () => opts.retain }),
  });
  return { store, failpoints, flusher, compactor };
}

async function append(f: LogFlusher, from: number, to: number, rid = true): Promise<void> {
  for (let i = from; i <= to; i++) {
    const lines = [`{"n":${i}}`];
    await f.append('a', { lines, bytes: lines[0]!.length, ...(rid ? { requestId: `r${i}`, sha: linesSha(lines) } : {}) });
  }
}

async function readAll(store: BlobStore, fromSequence = 0): Promise<number[]> {
  const reader = new LogReader({ store, cache: new ChunkCache(), notifier: new LogNotifier(), followPollMs: 50 });
  const seqs: number[] = [];
  for await (const item of reader.read(
    { log: 'a', fromSequence, fromEnd: false, follow: false, progressIntervalMs: 1000 },
    new AbortController().signal,
  )) {
    for (const e of item.entries) {
      expect(e.line).toBe(`{"n":${e.sequence}}`);
      seqs.push(e.sequence);
    }
  }
  return seqs;
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);

async function keys(store: BlobStore, prefix: string): Promise<string[]> {
  return (await store.list({ prefix, limit: 1000 })).keys;
}

describe('LogCompactor', () => {
  test('rolls the chunks into one segment, moves the meta, deletes the chunks; reads and appends go on densely', async () => {
    const s = setup();
    await append(s.flusher(), 1, 5);
    expect(await s.compactor.compactOnce('a')).toBe(true);
    expect(await keys(s.store, chunkPrefix('a'))).toEqual([]);
    expect(await keys(s.store, segmentPrefix('a'))).toEqual(['logs/a/s/00000000000000000005']);
    expect((await readMeta(s.store, 'a')).meta).toMatchObject({ segmentsThrough: 5, segments: 1, oldestSequence: 1 });
    expect(await readAll(s.store)).toEqual(range(1, 5));
    expect(await readAll(s.store, 3)).toEqual(range(3, 5));
    // A new writer (no memo, a new index) finds the tail in the segment, not at 1.
    await append(s.flusher(), 6, 8);
    expect(await readAll(s.store)).toEqual(range(1, 8));
    expect(await keys(s.store, chunkPrefix('a'))).toHaveLength(3);
  });

  test('nothing is due below the size and age limits: the chunks stay', async () => {
    const s = setup({ maxAgeMs: 3_600_000 });
    await append(s.flusher(), 1, 3);
    expect(await s.compactor.compactOnce('a')).toBe(false);
    expect(await keys(s.store, chunkPrefix('a'))).toHaveLength(3);
    expect(await keys(s.store, segmentPrefix('a'))).toEqual([]);
  });

  test('rolls by size into several segments, each at most about segmentBytes; a read from the middle starts in the right one', async () => {
    const s = setup({ segmentBytes: 1000, maxAgeMs: 3_600_000 });
    await append(s.flusher(), 1, 30);
    let n = 0;
    while (await s.compactor.compactOnce('a')) n++;
    expect(n).toBeGreaterThanOrEqual(3);
    expect(await keys(s.store, segmentPrefix('a'))).toHaveLength(n);
    expect(await readAll(s.store)).toEqual(range(1, 30));
    expect(await readAll(s.store, 17)).toEqual(range(17, 30));
  });

  test('a crash between the segment PUT and the chunk deletes loses and doubles no line; the next run cleans up', async () => {
    const s = setup();
    await append(s.flusher(), 1, 4);
    s.failpoints.configure('log.after-segment-put=error');
    await expect(s.compactor.compactOnce('a')).rejects.toThrow();
    expect(await keys(s.store, segmentPrefix('a'))).toHaveLength(1);
    expect(await keys(s.store, chunkPrefix('a'))).toHaveLength(4);
    expect((await readMeta(s.store, 'a')).meta.segmentsThrough).toBe(0);
    expect(await readAll(s.store)).toEqual(range(1, 4));
    await append(s.flusher(), 5, 6);
    expect(await readAll(s.store)).toEqual(range(1, 6));
    s.failpoints.configure('');
    await s.compactor.compactOnce('a');
    while (await s.compactor.compactOnce('a'));
    expect(await keys(s.store, chunkPrefix('a'))).toEqual([]);
    expect((await readMeta(s.store, 'a')).meta).toMatchObject({ segmentsThrough: 6, segments: 2 });
    expect(await readAll(s.store)).toEqual(range(1, 6));
  });

  test('a reader whose listed chunk is compacted away before its GET finds the lines in the new segment', async () => {
    const s = setup();
    await append(s.flusher(), 1, 6);
    s.store.before = async () => {
      await s.compactor.compactOnce('a');
    };
    expect(await readAll(s.store)).toEqual(range(1, 6));
    expect(s.store.before).toBeUndefined();
    expect(await keys(s.store, chunkPrefix('a'))).toEqual([]);
  });

  test('a lost request-id index is rebuilt from segments: a retry after compaction is deduplicated', async () => {
    const s = setup();
    await append(s.flusher(), 1, 3);
    await s.compactor.compactOnce('a');
    const index = new LocalRequestIndex(WINDOW, () => Date.now());
    const rebuilt = await rebuildIndex({ store: s.store, index, windowMs: WINDOW, now: () => Date.now() }, 'a', 4);
    expect([...rebuilt.rids.keys()].sort()).toEqual(['r1', 'r2', 'r3']);
    const lines = ['{"n":2}'];
    const again = await s.flusher().append('a', { lines, bytes: 7, requestId: 'r2', sha: linesSha(lines) });
    expect(again).toEqual({ first: 2, last: 2, deduplicated: true });
    expect(await readAll(s.store)).toEqual(range(1, 3));
  });

  test('retainBytes deletes whole segments from the head, raising the oldest sequence; below it reads are SEQUENCE_TRIMMED', async () => {
    const s = setup({ segmentBytes: 1000, maxAgeMs: 3_600_000, retain: { retainBytes: 2500 } });
    await append(s.flusher(), 1, 60);
    while (await s.compactor.compactOnce('a'));
    const { meta } = await readMeta(s.store, 'a');
    expect(meta.oldestSequence).toBeGreaterThan(1);
    expect(meta.segmentBytes).toBeLessThanOrEqual(2500);
    const segs = await keys(s.store, segmentPrefix('a'));
    expect(segs).toHaveLength(meta.segments);
    expect(await readAll(s.store)).toEqual(range(meta.oldestSequence, 60));
    expect(await readAll(s.store, meta.oldestSequence + 1)).toEqual(range(meta.oldestSequence + 1, 60));
    await expect(readAll(s.store, 1)).rejects.toMatchObject({
      reason: 'SEQUENCE_TRIMMED',
      metadata: { oldestSequence: String(meta.oldestSequence), tailSequence: '60' },
    });
    // Sequences never restart: the next append follows the tail.
    await append(s.flusher(), 61, 61);
    expect((await readAll(s.store)).at(-1)).toBe(61);
  });

  test('retainFor deletes every segment whose last line is older; the tail stays known from the meta', async () => {
    const s = setup({ retain: { retainMs: 1 } });
    await append(s.flusher(), 1, 5);
    await s.compactor.compactOnce('a');
    await new Promise((r) => setTimeout(r, 10));
    await s.compactor.compactOnce('a');
    expect(await keys(s.store, segmentPrefix('a'))).toEqual([]);
    expect((await readMeta(s.store, 'a')).meta).toMatchObject({ oldestSequence: 6, segments: 0, segmentsThrough: 5 });
    expect(await readAll(s.store)).toEqual([]);
    await append(s.flusher(), 6, 7);
    expect(await readAll(s.store)).toEqual([6, 7]);
  });
});
