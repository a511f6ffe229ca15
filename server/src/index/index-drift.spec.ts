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

/** Ids that share a long prefix and sort by creation, like the server's UUIDv7 ids. */
const timeOrderedId = (i: number): string => `0193a1b2-c3d4-7${String(i).padStart(3, '0')}-8000-000000000000`;

describe('sampleDrift on a collection larger than one LIST page', () => {
  const N = 2_500;
  let indexes: LocalIndexStore;
  let blobs: MemoryBlobStore;
  let read: Set<string>;
  let lists: number;
  const keys: string[] = [];

  beforeAll(() => {
    for (let i = 0; i < N; i++) keys.push(documentKey(C, timeOrderedId(i)));
    keys.sort();
  });

  beforeEach(async () => {
    indexes = new LocalIndexStore();
    blobs = new MemoryBlobStore();
    await indexes.createIndex({ collection: C, name: 'by_s', kind: 'equality', fields: ['s'] }, new Date(0));
    await indexes.setIndexState(C, 'by_s', { state: 'ready' });
    const meta = { version: 1, createTime: new Date(0), updateTime: new Date(0), writeId: newWriteId() };
    for (let i = 0; i < N; i++) await blobs.put(documentKey(C, timeOrderedId(i)), encodeEnvelope({ meta, data: { s: i } }));
    read = new Set();
    lists = 0;
    const get = blobs.get.bind(blobs);
    blobs.get = async (key, signal) => {
      read.add(key);
      return get(key, signal);
    };
    const list = blobs.list.bind(blobs);
    blobs.list = async (options, signal) => {
      lists++;
      return list(options, signal);
    };
  });

  it('reads every document when the sample covers the collection, however its ids are ordered', async () => {
    const found = await sampleDrift({ indexes, store: blobs, collection: C, sample: N, random: fixedRandom([0.2, 0.5, 0.8]) });
    expect(read.size).toBe(N);
    expect(found.missing).toBe(N);
    expect(found.resumeAfter).toBeUndefined();
    expect(lists).toBe(3);
  });

  it('lists one page per 100 sampled documents, and successive samples sweep the collection window by window', async () => {
    const windows: [number, number][] = [];
    let startAfter: string | undefined;
    for (let run = 0; run < 4; run++) {
      read.clear();
      const found = await sampleDrift({
        indexes,
        store: blobs,
        collection: C,
        sample: 100,
        random: fixedRandom([0.9, 0.1, 0.6, 0.3]),
        ...(startAfter !== undefined ? { startAfter } : {}),
      });
      expect(read.size).toBe(100);
      const at = [...read].map((k) => keys.indexOf(k));
      windows.push([Math.min(...at), Math.max(...at)]);
      startAfter = found.resumeAfter;
    }
    expect(lists).toBe(4);
    expect(windows[0]![1]).toBeLessThan(1_000);
    expect(windows[1]![0]).toBeGreaterThanOrEqual(1_000);
    expect(windows[1]![1]).toBeLessThan(2_000);
    expect(windows[2]![0]).toBeGreaterThanOrEqual(2_000); // the last 500 keys; the next sample starts over
    expect(windows[3]![1]).toBeLessThan(1_000);
  });

  it('wraps around to the first keys and stops where it began', async () => {
    const startAfter = keys[1_999]!;
    const found = await sampleDrift({ indexes, store: blobs, collection: C, sample: N, random: fixedRandom([0.5]), startAfter });
    expect(read.size).toBe(N); // keys 2000–2499 (the end), then 0–999 and 1000–1999 (back at the start point): each once
    expect(found.missing).toBe(N);
    expect(lists).toBe(4); // the fourth page starts past the start point
    expect(found.resumeAfter).toBe(startAfter);
  });
});
