import { fixedRandom } from '../common/manual-clock.js';
import { documentKey } from '../format/bucket-layout.js';
import { encodeEnvelope, newWriteId } from '../format/envelope.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { repairFound, sampleDrift } from './index-drift.js';
import { LocalIndexStore } from './local/local-index-store.js';

const C = 'c';

describe('sampleDrift', () => {
  let indexes: LocalIndexStore;
  let blobs: MemoryBlobStore;

  beforeEach(async () => {
    indexes = new LocalIndexStore();
    blobs = new MemoryBlobStore();
    await indexes.createIndex({ collection: C, name: 'by_s', kind: 'equality', fields: ['s'] }, new Date(0));
    await indexes.setIndexState(C, 'by_s', { state: 'ready' });
    for (let i = 0; i < 50; i++) {
      const id = `d${String(i).padStart(2, '0')}`;
      const body = encodeEnvelope({
        meta: { version: 1, createTime: new Date(0), updateTime: new Date(0), writeId: newWriteId() },
        data: { s: i },
      });
      await blobs.put(documentKey(C, id), body); // stored, never indexed: every document has a missing entry
    }
  });

  it('reads at most `sample` documents of a larger collection, and finds their faults', async () => {
    const read = new Set<string>();
    const get = blobs.get.bind(blobs);
    blobs.get = async (key, signal) => {
      read.add(key);
      return get(key, signal);
    };
    const found = await sampleDrift({ indexes, store: blobs, collection: C, sample: 12, random: fixedRandom([0.2, 0.5, 0.8]) });
    expect(read.size).toBeGreaterThan(0);
    expect(read.size).toBeLessThanOrEqual(12);
    expect(found.missing).toBe(read.size);
    expect(found.stale).toBe(0);
    expect(await repairFound(found)).toBe(read.size);
    expect(await indexes.count(C, { op: 'all' })).toBe(read.size);
  });

  it('samples a collection no larger than the sample whole', async () => {
    const found = await sampleDrift({ indexes, store: blobs, collection: C, sample: 50, random: fixedRandom() });
    expect(found).toMatchObject({ missing: 50, stale: 0 });
  });

  it('finds nothing where no index is READY', async () => {
    await indexes.setIndexState(C, 'by_s', { state: 'building' });
    expect(await sampleDrift({ indexes, store: blobs, collection: C, sample: 50, random: fixedRandom() })).toEqual({
      collection: C,
      missing: 0,
      stale: 0,
      faults: [],
    });
  });
});
