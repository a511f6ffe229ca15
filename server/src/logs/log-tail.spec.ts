import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { encodeChunk } from './chunk-format.js';
import { chunkKey } from './log-name.js';
import { findTail, listChunks } from './log-tail.js';

async function putChunk(store: MemoryBlobStore, log: string, first: number, count: number): Promise<void> {
  const lines = Array.from({ length: count }, (_, i) => String(first + i));
  await store.put(chunkKey(log, first), encodeChunk({ log, first, timeMs: 1, rids: new Map(), lines }), { ifNoneMatch: true });
}

describe('tail discovery', () => {
  test('a log never appended has next sequence 1 and no chunks', async () => {
    const found = await findTail(new MemoryBlobStore(), 'empty');
    expect(found).toEqual({ next: 1, chunks: [], segmentsThrough: 0, oldestSequence: 1 });
  });

  test("the last chunk's header gives the tail; other logs and stray keys are ignored", async () => {
    const store = new MemoryBlobStore();
    await putChunk(store, 'a', 1, 3);
    await putChunk(store, 'a', 4, 1);
    await putChunk(store, 'a', 5, 10);
    await putChunk(store, 'ab', 1, 100);
    await store.put('logs/a/c/stray', Buffer.from('x'));
    const found = await findTail(store, 'a');
    expect(found.next).toBe(15);
    expect(found.chunks.map((c) => c.first)).toEqual([1, 4, 5]);
  });

  test('lists past a page of 1,000 keys, and from a given first sequence', async () => {
    const store = new MemoryBlobStore();
    for (let i = 1; i <= 1005; i++) await putChunk(store, 'big', i, 1);
    const found = await findTail(store, 'big');
    expect(found.next).toBe(1006);
    expect(found.chunks).toHaveLength(1005);
    const after: number[] = [];
    for await (const ref of listChunks(store, 'big', 1000)) after.push(ref.first);
    expect(after).toEqual([1001, 1002, 1003, 1004, 1005]);
  });
});
