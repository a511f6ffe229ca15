/**
 * Pending index records (docs/adr/0008), the same scenarios against the
 * in-process store and RedisIndexStore on a real redis-server: nextSeq with
 * an id records (id, seq) in the same step, apply of that seq clears it (not
 * an older one), clearPending clears only the seq it names, pendingWrites
 * filters by age. On Redis the seqs start at Redis's clock in microseconds,
 * so the seq text compared inside the scripts is a 16-digit number.
 */
import Redis from 'ioredis';
import { LocalIndexStore } from '../../server/src/index/local/local-index-store.js';
import { RedisIndexStore } from '../../server/src/index/redis/redis-index-store.js';
import type { IndexStore } from '../../server/src/index/index-store.js';
import { startRedis, type RedisTestServer } from '../harness/redis-server.js';
import { Fixture, freshCollection } from './index-store-fixture.js';

function pendingScenarios(makeStore: () => Promise<IndexStore>): void {
  let store: IndexStore;
  let fx: Fixture;
  beforeEach(async () => {
    store = await makeStore();
    fx = new Fixture(store, freshCollection());
    await fx.define(['status', 'equality', 'status'], ['email', 'unique', 'email'], ['n', 'ordered', 'n']);
  });
  afterEach(async () => {
    await store.close();
  });
  const pending = async (): Promise<[string, number][]> =>
    (await store.pendingWrites(fx.collection, 0, 100)).map((p): [string, number] => [p.id, p.seq]).sort();

  it('records a pending write with its seq in the same step, and only when asked', async () => {
    const s1 = await store.nextSeq(fx.collection, 'a');
    const s2 = await store.nextSeq(fx.collection);
    const s3 = await store.nextSeq(fx.collection, 'b');
    expect(s2).toBeGreaterThan(s1);
    expect(s3).toBeGreaterThan(s2);
    expect(await pending()).toEqual([
      ['a', s1],
      ['b', s3],
    ]);
    const listed = await store.pendingWrites(fx.collection, 0, 100);
    for (const p of listed) expect(p.ageMs).toBeGreaterThanOrEqual(0);
    expect(await store.pendingWrites(fx.collection, 3_600_000, 100)).toEqual([]);
    expect(await store.pendingWrites(fx.collection, 0, 1)).toHaveLength(1);
  });

  it('a newer seq of the same document replaces its record; apply clears it only with that seq', async () => {
    const s1 = await store.nextSeq(fx.collection, 'a');
    const s2 = await store.nextSeq(fx.collection, 'a');
    expect(await pending()).toEqual([['a', s2]]);
    expect(await fx.put('a', { status: 'x' }, s1)).toBe('applied');
    expect(await pending()).toEqual([['a', s2]]);
    expect(await fx.put('a', { status: 'y' }, s2)).toBe('applied');
    expect(await pending()).toEqual([]);
  });

  it('a stale apply of the recorded seq clears it too; a catalog change does not', async () => {
    const s1 = await store.nextSeq(fx.collection, 'a');
    const s2 = await store.nextSeq(fx.collection);
    expect(await fx.put('a', { status: 'x' }, s2)).toBe('applied');
    const { values, version } = await fx.values({ status: 'old' });
    expect(await store.apply(fx.collection, 'a', s1, values, version - 1)).toBe('catalog_changed');
    expect(await pending()).toEqual([['a', s1]]);
    expect(await store.apply(fx.collection, 'a', s1, values, version)).toBe('stale');
    expect(await pending()).toEqual([]);
    expect(await fx.eq('status', 'x')).toEqual(['a']);
  });

  it('applyMany clears the records of its documents', async () => {
    const sa = await store.nextSeq(fx.collection, 'a');
    const sb = await store.nextSeq(fx.collection, 'b');
    const { values, version } = await fx.values({ status: 'x' });
    await store.applyMany(
      fx.collection,
      [
        { id: 'a', seq: sa, values },
        { id: 'b', seq: sb, values: null },
      ],
      version,
    );
    expect(await pending()).toEqual([]);
  });

  it('records a given seq (a change-feed revision) as is, and later seqs are above it', async () => {
    const s1 = await store.nextSeq(fx.collection, 'a');
    const given = s1 + 1000;
    expect(await store.nextSeq(fx.collection, 'b', given)).toBe(given);
    expect(await store.nextSeq(fx.collection, undefined, given + 5)).toBe(given + 5);
    expect(await pending()).toEqual([
      ['a', s1],
      ['b', given],
    ]);
    expect(await store.nextSeq(fx.collection)).toBeGreaterThan(given + 5);
  });

  it('clearPending removes a record only while it holds the given seq', async () => {
    const s1 = await store.nextSeq(fx.collection, 'a');
    await store.clearPending(fx.collection, 'a', s1 - 1);
    await store.clearPending(fx.collection, 'zz', s1);
    expect(await pending()).toEqual([['a', s1]]);
    await store.clearPending(fx.collection, 'a', s1);
    expect(await pending()).toEqual([]);
  });
}

describe('pending index records: LocalIndexStore', () => {
  pendingScenarios(async () => new LocalIndexStore());
});

describe('pending index records: RedisIndexStore (real redis-server)', () => {
  let redis: RedisTestServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  pendingScenarios(async () => RedisIndexStore.connect({ url: redis.url }));

  it('keeps the records in one hash per collection, in the collection slot', async () => {
    const store = await RedisIndexStore.connect({ url: redis.url, keyPrefix: 'pend:' });
    const raw = new Redis(redis.url);
    try {
      const collection = freshCollection();
      const seq = await store.nextSeq(collection, 'doc-1');
      expect(seq).toBeGreaterThan(1e15); // the counter starts at Redis's clock in microseconds
      const hash = await raw.hgetall(`pend:{ix:${collection}}:p`);
      expect(Object.keys(hash)).toEqual(['doc-1']);
      expect(hash['doc-1']).toMatch(new RegExp(`^${seq}:\\d{13}$`));
      await store.clearPending(collection, 'doc-1', seq);
      expect(await raw.exists(`pend:{ix:${collection}}:p`)).toBe(0);
    } finally {
      raw.disconnect();
      await store.close();
    }
  });
});
