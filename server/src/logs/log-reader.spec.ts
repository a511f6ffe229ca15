import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { ChunkCache } from './chunk-cache.js';
import { encodeChunk } from './chunk-format.js';
import { chunkKey } from './log-name.js';
import { LogNotifier } from './log-notifier.js';
import { LogReader, type LogReadItem } from './log-reader.js';

async function putChunk(store: MemoryBlobStore, first: number, lines: string[]): Promise<void> {
  await store.put(chunkKey('a', first), encodeChunk({ log: 'a', first, timeMs: 5, rids: new Map(), lines }), { ifNoneMatch: true });
}

describe('LogReader', () => {
  test('splits a large chunk into items of about maxItemBytes, in order, each with the tail it completes', async () => {
    const store = new MemoryBlobStore();
    await putChunk(store, 1, ['"aaaa"', '"bbbb"', '"cccc"', '"dddd"', '"eeee"']);
    const reader = new LogReader({ store, cache: new ChunkCache(), notifier: new LogNotifier(), followPollMs: 50, maxItemBytes: 14 });
    const items: LogReadItem[] = [];
    for await (const item of reader.read(
      { log: 'a', fromSequence: 2, fromEnd: false, follow: false, progressIntervalMs: 1000 },
      new AbortController().signal,
    )) {
      items.push(item);
    }
    expect(items.map((i) => [i.entries.map((e) => e.sequence), i.tailSequence])).toEqual([
      [[2, 3], 3],
      [[4, 5], 5],
    ]);
    expect(items[0]!.entries[0]).toEqual({ sequence: 2, line: '"bbbb"', appendTimeMs: 5 });
  });

  test('a follower finds chunks written by another server through its poll (no notification here)', async () => {
    const store = new MemoryBlobStore();
    await putChunk(store, 1, ['1']);
    const reader = new LogReader({ store, cache: new ChunkCache(), notifier: new LogNotifier(), followPollMs: 30 });
    const stop = new AbortController();
    const seen: number[] = [];
    const following = (async () => {
      try {
        for await (const item of reader.read(
          { log: 'a', fromSequence: 0, fromEnd: false, follow: true, progressIntervalMs: 60_000 },
          stop.signal,
        )) {
          seen.push(...item.entries.map((e) => e.sequence));
          if (seen.length === 4) stop.abort();
        }
      } catch (err) {
        if (!stop.signal.aborted) throw err;
      }
    })();
    await new Promise((r) => setTimeout(r, 60));
    await putChunk(store, 2, ['2', '3']);
    await putChunk(store, 4, ['4']);
    await following;
    expect(seen).toEqual([1, 2, 3, 4]);
  });
});
