/**
 * The RedisIndexStore across a loss of Redis data (issue 10), written once and
 * run on a single redis-server restarted empty (redis-index-loss.test.ts) and
 * on a Redis Cluster whose shard is flushed or fails over to a replica that
 * lagged behind (test/cluster/cluster-stores.test.ts). Its counters never
 * repeat: a seq taken after the loss is newer than every seq taken before it
 * (stored in envelopes and replayed by rebuilds), and a catalog cached before
 * the loss is never mistaken for the current one (its change stamp cannot repeat).
 */
import type { RedisIndexStore } from '../../server/src/index/redis/redis-index-store.js';

/** How a suite loses Redis data. */
export interface RedisDataLoss {
  /**
   * Called before the changes the loss may take back, with the collection
   * they go to (e.g. stops the replica that would otherwise receive them).
   */
  before(collection: string): Promise<void>;
  /** Loses the data of the Redis (or shard) holding `collection`; resolves once it answers again. */
  lose(collection: string): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Registers the scenarios in the current describe block. `connect` opens a
 * store (each one caches catalogs as a server's would; closed in afterAll);
 * collection names start with `prefix`.
 */
export function redisIndexLossScenarios(connect: () => Promise<RedisIndexStore>, loss: RedisDataLoss, prefix = ''): void {
  const open: RedisIndexStore[] = [];
  let store: RedisIndexStore;
  /** Another server's store: it caches the catalog and only revalidates the stamp. */
  let reader: RedisIndexStore;

  beforeAll(async () => {
    store = await connect();
    reader = await connect();
    open.push(store, reader);
  });

  afterAll(async () => {
    for (const s of open.splice(0)) await s.close();
  });

  /** `call`, retried while the store cannot reach Redis (restarting, or a replica being promoted). */
  async function answered<T>(call: () => Promise<T>): Promise<T> {
    for (let i = 0; ; i++) {
      try {
        return await call();
      } catch (e) {
        if (i >= 200) throw e;
        await sleep(100);
      }
    }
  }

  /**
   * Loses `collection`'s data; waits until the writing store answers for it
   * again. The reader is not asked meanwhile: its cached catalog must be as
   * it was before the loss.
   */
  async function lose(collection: string): Promise<void> {
    await loss.lose(collection);
    await answered(() => store.catalog(collection));
  }

  it('a seq taken after the loss is greater than every seq taken before', async () => {
    const c = `${prefix}seq`;
    let before = 0;
    for (let i = 0; i < 10; i++) before = await store.nextSeq(c);
    await loss.before(c);
    for (let i = 0; i < 50; i++) {
      const seq = await store.nextSeq(c);
      expect(seq).toBeGreaterThan(before);
      before = seq;
    }
    await lose(c);
    const after = await store.nextSeq(c);
    expect(after).toBeGreaterThan(before);
    expect(Number.isSafeInteger(after)).toBe(true);
    expect(await store.nextSeq(c)).toBeGreaterThan(after);
  });

  it('a catalog cached before the loss is not taken for the current one, even after as many changes', async () => {
    const c = `${prefix}k`;
    await store.createIndex({ collection: c, name: 'by_a', kind: 'equality', fields: ['a'] }, new Date(0));
    await loss.before(c);
    await store.setIndexState(c, 'by_a', { state: 'ready' });
    expect((await answered(() => reader.catalog(c))).indexes.map((i) => i.state)).toEqual(['ready']);
    await lose(c);
    // The same number of changes as before the loss: a counter that went back would repeat the stamp reader cached.
    await store.createIndex({ collection: c, name: 'by_a', kind: 'equality', fields: ['a'] }, new Date(1));
    await store.setIndexState(c, 'by_a', { documentsScanned: 1 });
    const fresh = await connect();
    open.push(fresh);
    const truth = (await fresh.catalog(c)).indexes.map((i) => [i.state, i.createTime.getTime()]);
    expect(truth[0]![0]).toBe('building'); // nothing set it READY after the loss
    expect((await answered(() => reader.catalog(c))).indexes.map((i) => [i.state, i.createTime.getTime()])).toEqual(truth);
  });
}
