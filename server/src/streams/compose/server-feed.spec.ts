import { join } from 'node:path';
import { loadConfig } from '../../config/load-config.js';
import { MemoryBlobStore } from '../../storage/memory/memory-store.js';
import { feedDirOf, openServerFeed, type FeedDeps } from './server-feed.js';

describe('feedDirOf', () => {
  test('the setting wins; else beside filesystem documents; memory and S3 keep the feed in memory', () => {
    expect(feedDirOf({ feedDir: '/var/feed', storage: 's3', dataDir: './data' })).toEqual({ dir: '/var/feed' });
    expect(feedDirOf({ storage: 'filesystem', dataDir: '/srv/data' })).toEqual({ dir: join('/srv/data', '.feed') });
    expect(feedDirOf({ storage: 'memory', dataDir: './data' })).toEqual({});
    expect(feedDirOf({ storage: 's3', dataDir: './data' })).toEqual({});
  });
});

describe('openServerFeed', () => {
  const warnings: string[] = [];
  const deps: FeedDeps = {
    store: new MemoryBlobStore(),
    log: { warn: (_o, msg) => warnings.push(msg), info: () => undefined },
    finishTransaction: () => Promise.resolve(undefined),
  };
  const redisEnv = { SB_COORDINATION: 'redis', SB_REDIS_URL: 'redis://127.0.0.1:1' };

  test('Redis Cluster: no feed (StreamService is not served), and a warning says so', async () => {
    const { config } = loadConfig({ argv: [], env: { ...redisEnv, SB_REDIS_CLUSTER: 'true' } });
    expect(await openServerFeed(config, deps)).toBeUndefined();
    expect(warnings).toEqual(['the change feed does not support Redis Cluster yet: StreamService is not served']);
  });

  test("Redis coordination needs the coordinator's Redis settings", async () => {
    const { config } = loadConfig({ argv: [], env: redisEnv });
    await expect(openServerFeed(config, deps)).rejects.toThrow('needs the Redis connection settings');
  });
});
