/**
 * The check and repair methods of the IndexStore (heldEntries, scanEntries,
 * sampleEntries, repairEntries), one set of scenarios run against the
 * LocalIndexStore and the RedisIndexStore on a real redis-server: both must
 * answer alike, so index-check.ts and the drift monitor behave the same on
 * either.
 */
import { compareUtf8 } from '../../server/src/index/extract-values.js';
import type { IndexEntry, IndexStore } from '../../server/src/index/index-store.js';
import { LocalIndexStore } from '../../server/src/index/local/local-index-store.js';
import { RedisIndexStore } from '../../server/src/index/redis/redis-index-store.js';
import { startRedis, type RedisTestServer } from '../harness/redis-server.js';
import { Fixture, freshCollection, type StoreFactory } from './index-store-fixture.js';

const byEntry = (a: IndexEntry, b: IndexEntry): number =>
  compareUtf8(a.index, b.index) || compareUtf8(a.value, b.value) || compareUtf8(a.id, b.id);

function scenarios(makeStore: StoreFactory): void {
  let store: IndexStore;
  let fx: Fixture;
  beforeEach(async () => {
    store = await makeStore();
    fx = new Fixture(store, freshCollection());
    await fx.define(['by_status', 'equality', 'status'], ['by_email', 'unique', 'email'], ['by_n', 'ordered', 'n']);
    await fx.put('a', { status: 'on', email: 'a@x', n: 1.5 });
    await fx.put('b', { status: 'on', email: 'b@x', n: 'z\u0000y' });
    await fx.put('c', { status: ['x', 'y'] });
  });
  afterEach(async () => {
    await store.close();
  });

  async function scanAll(index: string, count: number): Promise<IndexEntry[]> {
    const seen = new Map<string, IndexEntry>();
    let cursor: string | undefined;
    do {
      const page = await store.scanEntries(fx.collection, index, cursor, count);
      for (const e of page.entries) seen.set(`${e.value}\u0000${e.id}`, e);
      cursor = page.cursor;
    } while (cursor !== undefined);
    return [...seen.values()].sort(byEntry);
  }

  it('scans every entry of every kind, in pages, with values encoded as extract-values encodes them', async () => {
    expect(await scanAll('by_status', 1)).toEqual([
      { index: 'by_status', value: '["on"]', id: 'a' },
      { index: 'by_status', value: '["on"]', id: 'b' },
      { index: 'by_status', value: '["x"]', id: 'c' },
      { index: 'by_status', value: '["y"]', id: 'c' },
      { index: 'by_status', value: '[["x","y"]]', id: 'c' },
    ]);
    expect(await scanAll('by_email', 1)).toEqual([
      { index: 'by_email', value: '["a@x"]', id: 'a' },
      { index: 'by_email', value: '["b@x"]', id: 'b' },
    ]);
    expect(await scanAll('by_n', 1)).toEqual([
      { index: 'by_n', value: 'n:1.5', id: 'a' },
      { index: 'by_n', value: 's:z\u0000\u0001y', id: 'b' },
    ]);
    expect(await scanAll('nope', 10)).toEqual([]);
  });

  it('samples distinct entries, all of them when asked for more', async () => {
    const random = (): number => 0.3;
    for (const index of ['by_status', 'by_email', 'by_n']) {
      const all = await scanAll(index, 100);
      expect((await store.sampleEntries(fx.collection, index, 100, random)).sort(byEntry)).toEqual(all);
      const one = await store.sampleEntries(fx.collection, index, 1, random);
      expect(one).toHaveLength(1);
      expect(all).toContainEqual(one[0]);
    }
  });

  it('tells which probed entries are held, with the record seq and values', async () => {
    const [a, ghost] = await store.heldEntries(fx.collection, [
      { id: 'a', values: { by_status: ['["on"]', '["off"]'], by_email: ['["a@x"]', '["b@x"]'], by_n: ['n:1.5', 'n:2'] } },
      { id: 'ghost', values: { by_status: ['["on"]'] } },
    ]);
    expect(a?.held).toEqual({ by_status: ['["on"]'], by_email: ['["a@x"]'], by_n: ['n:1.5'] });
    expect(a?.recordSeq).toEqual(expect.any(Number));
    expect(a?.recorded).toEqual({ by_status: ['["on"]'], by_email: ['["a@x"]'], by_n: ['n:1.5'] });
    expect(ghost).toEqual({ held: { by_status: [] } });
  });

  it('repairs conditionally on the record: re-adds, removes stale values, never takes a unique value from its owner', async () => {
    const { version } = await fx.values(null);
    const seqA = (await store.heldEntries(fx.collection, [{ id: 'a', values: {} }]))[0]?.recordSeq as number;
    // A record that moved on: nothing done.
    const changed = { id: 'a', expectedRecordSeq: seqA - 1, seq: seqA, values: null, remove: {} };
    expect(await store.repairEntries(fx.collection, changed, version)).toBe('changed');
    expect(await store.repairEntries(fx.collection, { ...changed, expectedRecordSeq: seqA }, version + 1)).toBe('catalog_changed');
    expect(await fx.eq('by_status', 'on')).toEqual(['a', 'b']);
    // 'a' now also claims b's email and drops n; a stale "off" entry named for removal goes.
    const values = { by_status: ['["on"]'], by_email: ['["a@x"]', '["b@x"]'], by_n: [] };
    const repair = { id: 'a', expectedRecordSeq: seqA, seq: seqA, values, remove: { by_status: ['["off"]'] } };
    expect(await store.repairEntries(fx.collection, repair, version)).toBe('repaired');
    expect(await fx.eq('by_email', 'b@x')).toEqual(['b']);
    expect(await fx.walk({ index: 'by_n' })).toEqual(['b']);
    // A document gone from storage: its entries are removed, its record kept as a deletion.
    const ghost = {
      id: 'c',
      expectedRecordSeq: (await store.heldEntries(fx.collection, [{ id: 'c', values: {} }]))[0]?.recordSeq as number,
    };
    expect(await store.repairEntries(fx.collection, { ...ghost, seq: 0, values: null, remove: {} }, version)).toBe('repaired');
    expect(await fx.eq('by_status', 'x')).toEqual([]);
    expect(await store.count(fx.collection, { op: 'all' })).toBe(2);
  });
}

describe('LocalIndexStore check and repair', () => {
  scenarios(async () => new LocalIndexStore());
});

describe('RedisIndexStore check and repair (a real redis-server)', () => {
  let redis: RedisTestServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  scenarios(async () => RedisIndexStore.connect({ url: redis.url }));
});
