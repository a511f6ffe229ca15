import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { EMPTY_META, readMeta, updateMeta } from './log-meta.js';

describe('log meta', () => {
  test('reads as empty before the first update, then holds what updates wrote', async () => {
    const store = new MemoryBlobStore();
    expect(await readMeta(store, 'a')).toEqual({ meta: EMPTY_META });
    await updateMeta(store, 'a', (m) => ({ ...m, segmentsThrough: 10, segments: 1 }));
    await updateMeta(store, 'a', (m) => ({ ...m, segmentsThrough: 20, segments: m.segments + 1 }));
    expect((await readMeta(store, 'a')).meta).toEqual({ ...EMPTY_META, segmentsThrough: 20, segments: 2 });
  });

  test('a write that lost the race is retried on the new value (compare-and-swap)', async () => {
    const store = new MemoryBlobStore();
    await updateMeta(store, 'a', (m) => ({ ...m, segments: 1 }));
    let raced = false;
    await updateMeta(store, 'a', (m) => {
      if (!raced) {
        raced = true;
        // Another writer lands between this read and its PUT.
        void updateMeta(store, 'a', (x) => ({ ...x, segmentBytes: 99 }));
      }
      return { ...m, segments: m.segments + 1 };
    });
    const { meta } = await readMeta(store, 'a');
    expect(meta.segments).toBe(2);
  });
});
