import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { encodeChunk, type RidRecord } from './chunk-format.js';
import { indexChunksFrom, rebuildIndex } from './log-index-sync.js';
import { chunkKey } from './log-name.js';
import { findTail } from './log-tail.js';
import { LocalRequestIndex } from './request-index.js';

const NOW = 1_000_000;
const WINDOW = 10_000;

async function putChunk(store: MemoryBlobStore, first: number, rid: string, timeMs: number): Promise<RidRecord> {
  const r = { first, count: 2, sha: `sha-${rid}` };
  await store.put(chunkKey('a', first), encodeChunk({ log: 'a', first, timeMs, rids: new Map([[rid, r]]), lines: ['1', '2'] }));
  return r;
}

describe('request index sync', () => {
  test('rebuild reads chunks back from the tail while within the window, then sets the mark', async () => {
    const store = new MemoryBlobStore();
    await putChunk(store, 1, 'old', NOW - WINDOW - 1);
    const r2 = await putChunk(store, 3, 'r2', NOW - WINDOW + 5);
    const r3 = await putChunk(store, 5, 'r3', NOW - 1);
    const index = new LocalRequestIndex(WINDOW, () => NOW);
    const tail = await findTail(store, 'a');
    const result = await rebuildIndex({ store, index, windowMs: WINDOW, now: () => NOW }, 'a', tail.next);
    expect(result.next).toBe(7);
    expect(result.rids).toEqual(
      new Map([
        ['r3', r3],
        ['r2', r2],
      ]),
    );
    const found = await index.lookup('a', ['old', 'r2', 'r3']);
    expect(found.indexedThrough).toBe(7);
    expect([...found.found.keys()].sort()).toEqual(['r2', 'r3']);
  });

  test('catch-up indexes exactly the chunks from the mark on and returns the new next sequence', async () => {
    const store = new MemoryBlobStore();
    await putChunk(store, 1, 'r1', NOW);
    const r2 = await putChunk(store, 3, 'r2', NOW);
    const r3 = await putChunk(store, 5, 'r3', NOW);
    const index = new LocalRequestIndex(WINDOW, () => NOW);
    const result = await indexChunksFrom({ store, index, windowMs: WINDOW, now: () => NOW }, 'a', 3);
    expect(result.next).toBe(7);
    expect(result.rids).toEqual(
      new Map([
        ['r2', r2],
        ['r3', r3],
      ]),
    );
    const found = await index.lookup('a', ['r1', 'r2', 'r3']);
    expect(found.indexedThrough).toBe(7);
    expect([...found.found.keys()]).toEqual(['r2', 'r3']);
    // Nothing past the tail: the next sequence is where it started.
    expect((await indexChunksFrom({ store, index, windowMs: WINDOW, now: () => NOW }, 'a', 7)).next).toBe(7);
  });

  test('rebuild of a log never appended just sets the mark to 1', async () => {
    const store = new MemoryBlobStore();
    const index = new LocalRequestIndex(WINDOW, () => NOW);
    await rebuildIndex({ store, index, windowMs: WINDOW, now: () => NOW }, 'a', 1);
    expect((await index.lookup('a', [])).indexedThrough).toBe(1);
  });
});
