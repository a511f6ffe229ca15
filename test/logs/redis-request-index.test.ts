/**
 * RedisRequestIndex against a real redis-server: lookups, the mark, trimming
 * to the window, and a lost index (Redis restarted empty) reading as lost.
 */
import { openRedis } from '../../server/src/coordination/redis/redis-connection.js';
import { RedisRequestIndex } from '../../server/src/logs/redis-request-index.js';
import { startRedis, type RedisTestServer } from '../harness/redis-server.js';

describe('RedisRequestIndex (real Redis)', () => {
  let redis: RedisTestServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  test('records, finds within the window, trims older ids, keeps the mark per log', async () => {
    let now = 1_000_000;
    const index = new RedisRequestIndex(await openRedis({ url: redis.url }), 10_000, () => now);
    try {
      expect(await index.lookup('a', ['x'])).toEqual({ found: new Map() });
      await index.record('a', new Map([['x', { first: 1, count: 2, sha: 'sx' }]]), now - 9_000, undefined);
      expect((await index.lookup('a', ['x'])).indexedThrough).toBeUndefined(); // no mark yet: still "lost"
      await index.record('a', new Map([['y', { first: 3, count: 1, sha: 'sy' }]]), now, 4);
      const found = await index.lookup('a', ['x', 'y', 'z']);
      expect(found.indexedThrough).toBe(4);
      expect(found.found).toEqual(
        new Map([
          ['x', { first: 1, count: 2, sha: 'sx' }],
          ['y', { first: 3, count: 1, sha: 'sy' }],
        ]),
      );
      expect(await index.lookup('b', ['x'])).toEqual({ found: new Map() });
      now += 2_000; // x is now older than the window
      await index.record('a', new Map(), now, 4);
      expect([...(await index.lookup('a', ['x', 'y'])).found.keys()]).toEqual(['y']);
      now -= 2_000; // trimmed from Redis, not only hidden
      expect([...(await index.lookup('a', ['x', 'y'])).found.keys()]).toEqual(['y']);
    } finally {
      await index.close();
    }
  });

  test('a Redis restarted empty reads as a lost index (no mark)', async () => {
    const index = new RedisRequestIndex(await openRedis({ url: redis.url }), 10_000, () => Date.now());
    try {
      await index.record('lost', new Map([['x', { first: 1, count: 1, sha: 's' }]]), Date.now(), 2);
      expect((await index.lookup('lost', [])).indexedThrough).toBe(2);
      const admin = await openRedis({ url: redis.url });
      await admin.flushall();
      admin.disconnect();
      expect(await index.lookup('lost', ['x'])).toEqual({ found: new Map() });
    } finally {
      await index.close();
    }
  });
});
