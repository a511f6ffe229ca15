/**
 * LockedConditionsStore across independent instances on a real redis-server
 * and gofakes3 (the scenarios: locked-conditions-scenarios.ts; the same on a
 * Redis Cluster: test/cluster/cluster-stores.test.ts).
 */
import { RedisCoordinator } from '../../server/src/coordination/redis/redis-coordinator.js';
import { startS3Server, type S3TestServer } from '../harness/s3-server.js';
import { startRedis, type RedisTestServer } from '../harness/redis-server.js';
import { lockedConditionsScenarios } from './locked-conditions-scenarios.js';

describe('LockedConditionsStore over gofakes3 with a RedisCoordinator per replica', () => {
  let s3: S3TestServer;
  let redis: RedisTestServer;

  beforeAll(async () => {
    [s3, redis] = await Promise.all([startS3Server('locked'), startRedis()]);
  });

  lockedConditionsScenarios(
    () => s3,
    () => RedisCoordinator.connect({ url: redis.url }),
  );

  afterAll(async () => {
    await Promise.all([s3?.stop(), redis?.stop()]);
  });
});
