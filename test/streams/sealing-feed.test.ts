/**
 * The ChangeFeed and Watch conformance suites against the sealing decorator
 * (encryption at rest) over the in-process feed, and both again
 * over the Redis feed on a real redis-server: sealing changes nothing a caller sees.
 */
import { randomUUID } from 'node:crypto';
import { LocalFeed } from '../../server/src/streams/local/local-feed.js';
import { RedisFeed } from '../../server/src/streams/redis/redis-feed.js';
import { SealingFeed } from '../../server/src/streams/sealing-feed.js';
import { KeyringRef, parseKeyring } from '../../server/src/storage/crypto/keyring.js';
import { startRedis, type RedisTestServer } from '../harness/redis-server.js';
import { feedConformance, type FeedFactory } from './feed-conformance.js';
import { watchConformance } from './watch-conformance.js';

const keyring = new KeyringRef(parseKeyring(JSON.stringify({ primary: 'k1', keys: { k1: Buffer.alloc(32, 3).toString('base64') } })));
let n = 0;
const local: FeedFactory = {
  open: async (setup) => new SealingFeed(await LocalFeed.open({ ...setup }), keyring),
  fresh: () => `c${++n}`,
};
feedConformance('SealingFeed over LocalFeed', local);
watchConformance('SealingFeed over LocalFeed', local);

let redis: RedisTestServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});
const overRedis: FeedFactory = {
  open: async (setup) => new SealingFeed(await RedisFeed.connect({ url: redis.url, ...setup }), keyring),
  fresh: () => `c-${randomUUID().slice(0, 8)}`,
};
feedConformance('SealingFeed over RedisFeed', overRedis);
watchConformance('SealingFeed over RedisFeed', overRedis); // its changes carry documents: sealed in Redis, opened for the watch
