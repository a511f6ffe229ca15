/**
 * The RedisIndexStore across a Redis restart that loses everything (issue
 * 10): its counters start again from Redis's clock, so a seq taken after the
 * loss is newer than every seq taken before it (stored in envelopes and
 * replayed by rebuilds), and a catalog cached before the loss is never
 * mistaken for the rebuilt one (its change stamp cannot repeat).
 */
import { RedisIndexStore } from '../../server/src/index/redis/redis-index-store.js';
import { startRedis, type RedisTestServer } from '../harness/redis-server.js';

jest.setTimeout(60_000);

let redis: RedisTestServer;
let store: RedisIndexStore;
/** Another server's store: it caches the catalog and only revalidates the stamp. */
let reader: RedisIndexStore;

beforeAll(async () => {
  redis = await startRedis();
  store = await RedisIndexStore.connect({ url: redis.url });
  reader = await RedisIndexStore.connect({ url: redis.url });
});

afterAll(async () => {
  await reader?.close();
  await store?.close();
  await redis?.stop();
});

/** Stops Redis and starts it empty on the same port; waits until the store's connection answers again. */
async function restartEmpty(): Promise<void> {
  const port = redis.port;
  await redis.stop();
  redis = await startRedis(port);
  for (let i = 0; i < 100; i++) {
    try {
      await store.catalog('warmup');
      await reader.catalog('warmup');
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('the store did not reconnect');
}

it('a seq taken after Redis restarted empty is greater than every seq taken before', async () => {
  let before = 0;
  for (let i = 0; i < 50; i++) before = await store.nextSeq('c');
  await restartEmpty();
  const after = await store.nextSeq('c');
  expect(after).toBeGreaterThan(before);
  expect(Number.isSafeInteger(after)).toBe(true);
  expect(await store.nextSeq('c')).toBe(after + 1);
});

it('a catalog cached before the loss is not taken for the rebuilt one, even after as many changes', async () => {
  await store.createIndex({ collection: 'k', name: 'by_a', kind: 'equality', fields: ['a'] }, new Date(0));
  await store.setIndexState('k', 'by_a', { state: 'ready' });
  expect((await reader.catalog('k')).indexes.map((i) => i.state)).toEqual(['ready']);
  await restartEmpty();
  // The same number of changes as before the loss: a counter restarting at 0 would repeat the stamp reader cached.
  await store.createIndex({ collection: 'k', name: 'by_a', kind: 'equality', fields: ['a'] }, new Date(1));
  await store.setIndexState('k', 'by_a', { documentsScanned: 1 });
  const rebuilt = await reader.catalog('k');
  expect(rebuilt.indexes.map((i) => [i.state, i.createTime.getTime()])).toEqual([['building', 1]]);
});
