import type { ListOptions, ListPage } from '../storage/blob-store.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { encodeChunk, type Chunk } from './chunk-format.js';
import { updateMeta } from './log-meta.js';
import { chunkKey, segmentKey } from './log-name.js';
import { chunksFrom } from './log-source.js';
import { encodeSegment } from './segment-format.js';

const chunk = (first: number, count: number): Chunk => ({
  log: 'a',
  first,
  timeMs: 1,
  rids: new Map(),
  lines: Array.from({ length: count }, (_, i) => String(first + i)),
});

async function firsts(store: MemoryBlobStore, from: number): Promise<number[]> {
  const out: number[] = [];
  for await (const c of chunksFrom(store, undefined, 'a', from)) out.push(c.first);
  return out;
}

describe('chunksFrom', () => {
  test('reads segments from the one holding `from`, then the chunks after them; leftover chunks below a segment are skipped', async () => {
    const store = new MemoryBlobStore();
    await store.put(segmentKey('a', 4), encodeSegment([chunk(1, 2), chunk(3, 2)], 0));
    await store.put(segmentKey('a', 9), encodeSegment([chunk(5, 3), chunk(8, 2)], 0));
    await store.put(chunkKey('a', 8), encodeChunk(chunk(8, 2))); // compacted, not yet deleted
    await store.put(chunkKey('a', 10), encodeChunk(chunk(10, 1)));
    await store.put(chunkKey('a', 11), encodeChunk(chunk(11, 5)));
    expect(await firsts(store, 1)).toEqual([1, 3, 5, 8, 10, 11]);
    expect(await firsts(store, 6)).toEqual([5, 8, 10, 11]);
    expect(await firsts(store, 9)).toEqual([8, 10, 11]);
    expect(await firsts(store, 12)).toEqual([11]);
    expect(await firsts(store, 16)).toEqual([]);
  });

  test('a segment deleted by retention below the oldest sequence is SEQUENCE_TRIMMED', async () => {
    const store = new MemoryBlobStore();
    await store.put(segmentKey('a', 4), encodeSegment([chunk(1, 4)], 0));
    await store.put(segmentKey('a', 8), encodeSegment([chunk(5, 4)], 0));
    const gen = chunksFrom(store, undefined, 'a', 2);
    await updateMeta(store, 'a', (m) => ({ ...m, segmentsThrough: 8, oldestSequence: 5 }));
    await store.delete(segmentKey('a', 4));
    await expect(gen.next()).rejects.toMatchObject({ reason: 'SEQUENCE_TRIMMED' });
  });

  test('with `after`, the chunk listing starts there, not at the oldest chunk (what a follower does on each poll)', async () => {
    const listed: (string | undefined)[] = [];
    const store = new (class extends MemoryBlobStore {
      override list(options: ListOptions, signal?: AbortSignal): Promise<ListPage> {
        if (options.prefix.includes('/c/')) listed.push(options.startAfter);
        return super.list(options, signal);
      }
    })();
    for (const f of [1, 4, 7, 10]) await store.put(chunkKey('a', f), encodeChunk(chunk(f, 3)));
    const out: number[] = [];
    for await (const c of chunksFrom(store, undefined, 'a', 10, 7)) out.push(c.first);
    expect(out).toEqual([10]);
    expect(listed[0]).toBe(chunkKey('a', 7));
  });
});
