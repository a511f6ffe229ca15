/**
 * The RedisIndexStore across a Redis restart that loses everything (issue
 * 10): the scenarios of redis-index-loss-scenarios.ts on a real redis-server
 * stopped and started empty on the same port (on a Redis Cluster:
 * test/cluster/cluster-stores.test.ts).
 */
import { RedisIndexStore } from '../../server/src/index/redis/redis-index-store.js';
import { startRedis, type RedisTestServer } from '../harness/redis-server.js';
import { redisIndexLossScenarios } from './redis-index-loss-scenarios.js';

jest.setTimeout(60_000);

let redis: RedisTestServer;

beforeAll(async () => {
  redis = await startRedis();
});

redisIndexLossScenarios(() => RedisIndexStore.connect({ url: redis.url }), {
  before: async () => undefined,
  lose: async () => {
    const port = redis.port;
    await redis.stop();
    redis = await startRedis(port);
  },
});

afterAll(async () => {
  await redis?.stop();
});
