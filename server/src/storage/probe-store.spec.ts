import { MemoryBlobStore } from './memory/memory-store.js';
import { storageProbe } from './probe-store.js';
import { HEALTH_PROBE_KEY } from '../format/bucket-layout.js';

describe('storageProbe', () => {
  test('resolves while the store answers, writes nothing, and rejects once it fails', async () => {
    const store = new MemoryBlobStore();
    const probe = storageProbe(store);
    await expect(probe(new AbortController().signal)).resolves.toBeUndefined();
    expect(await store.head(HEALTH_PROBE_KEY)).toBeUndefined();
    expect((await store.list({ prefix: '', limit: 10 })).keys).toEqual([]);
    await store.close();
    await expect(probe(new AbortController().signal)).rejects.toMatchObject({ kind: 'unavailable' });
  });
});
