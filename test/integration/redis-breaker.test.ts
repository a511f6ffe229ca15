/**
 * Issue 10, "Circuit breaker and visibility", against real processes: the
 * scenario of redis-breaker-scenario.ts with one redis-server stopped with
 * SIGSTOP under a built server (on a Redis Cluster: test/cluster/cluster-breaker.test.ts).
 */
import type { ChildProcess } from 'node:child_process';
import { freePort } from '../harness/free-port.js';
import { redisOn } from '../harness/redis-process.js';
import { redisBreakerScenario, startBreakerServer, type BreakerServer } from './redis-breaker-scenario.js';

jest.setTimeout(120_000);

describe('Redis circuit breaker (real redis-server stopped with SIGSTOP, real server process)', () => {
  let redis: ChildProcess;
  let s: BreakerServer;

  beforeAll(async () => {
    const port = await freePort();
    redis = await redisOn(port);
    s = await startBreakerServer({ SB_REDIS_URL: `redis://127.0.0.1:${port}` });
  });

  afterAll(async () => {
    await s?.server.stop();
    if (redis !== undefined && redis.exitCode === null && redis.signalCode === null) {
      redis.kill('SIGCONT');
      const exited = new Promise((r) => redis.once('exit', r));
      redis.kill('SIGKILL');
      await exited;
    }
  });

  redisBreakerScenario(() => ({ s, redis: { stop: () => redis.kill('SIGSTOP'), cont: () => redis.kill('SIGCONT') } }));
});
