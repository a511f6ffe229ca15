/**
 * Issue 10, "Circuit breaker" on a real 3-master Redis Cluster with one
 * replica each, under a built server with SB_REDIS_CLUSTER=true:
 * - the breaker scenario of redis-breaker-scenario.ts with every node of the
 *   cluster stopped with SIGSTOP;
 * - one master stopped with SIGSTOP (it hangs: it sends no MOVED and closes
 *   no connection): its replica takes over, and the server's client learns
 *   the new slot table by itself (CLUSTER_SLOTS_REFRESH_MS): calls to those
 *   slots succeed on the promoted replica while the old master is still
 *   stopped; the breaker is closed and coordination SERVING.
 */
import { keySlot } from '../../server/src/coordination/redis/cluster-slots.js';
import { HealthCheckResponse_ServingStatus as S } from '../../server/src/gen/grpc/health/v1/health_pb.js';
import { startRedisCluster, type RedisTestCluster } from '../harness/redis-cluster.js';
import { waitFor } from '../harness/redis-process.js';
import {
  lockCall,
  redisBreakerScenario,
  startBreakerServer,
  summary,
  UNAVAILABLE,
  type BreakerServer,
} from '../integration/redis-breaker-scenario.js';

jest.setTimeout(120_000);

let cluster: RedisTestCluster;
let s: BreakerServer;

beforeAll(async () => {
  cluster = await startRedisCluster();
  s = await startBreakerServer({ SB_REDIS_CLUSTER: 'true', SB_REDIS_URL: cluster.url, SB_REDIS_LOSS_CHECK_MS: '500' });
});

afterAll(async () => {
  await s?.server.stop();
  for (const n of cluster?.nodes ?? []) n.child.kill('SIGCONT');
  await cluster?.stop();
});

describe('every node of the cluster stopped', () => {
  const every = (signal: NodeJS.Signals): void => {
    for (const n of cluster.nodes) n.child.kill(signal);
  };
  redisBreakerScenario(() => ({ s, redis: { stop: () => every('SIGSTOP'), cont: () => every('SIGCONT') } }));
});

it('one master stopped: its replica takes over and its slots answer again while the old master is still stopped', async () => {
  await cluster.awaitOk();
  const { clients, metric, status } = s;
  await waitFor('the breaker closed', async () => (await metric('smarterbase_redis_breaker_state')) === 0, 60_000, 100);
  const victim = (await cluster.topology()).find((n) => n.role === 'master')!;
  /** A lock name whose lease key is served by the master on `port` (or, with `other`, by another master). */
  const nameOn = async (port: number, other: boolean, tag: string): Promise<string> => {
    for (let i = 0; ; i++) {
      const name = `${tag}-${i}`;
      if (((await cluster.masterOfSlot(keySlot(`sb:{l:${name}}:lease`))).port === port) !== other) return name;
    }
  };
  const hung = [
    await nameOn(victim.port, false, 'hung-a'),
    await nameOn(victim.port, false, 'hung-b'),
    await nameOn(victim.port, false, 'hung'),
  ];
  const elsewhere = await nameOn(victim.port, true, 'fine');
  const replicaPort = (await cluster.topology()).find((n) => n.masterId === victim.id)!.port;
  expect(summary((await lockCall(clients, elsewhere)).error)).toBe('ok');

  const stopped = cluster.nodes.find((n) => n.port === victim.port)!.child;
  stopped.kill('SIGSTOP');
  try {
    // Calls to the stopped master's slots: each succeeds (sent again to the promoted replica) or fails UNAVAILABLE.
    const during = await Promise.all(hung.map((name) => lockCall(clients, name)));
    for (const r of during) expect([UNAVAILABLE, 'ok']).toContainEqual(summary(r.error));
    await waitFor(
      'the replica to be promoted',
      async () => (await cluster.topology().catch(() => [])).some((n) => n.port === replicaPort && n.role === 'master' && n.slots > 0),
      30_000,
      100,
    );
    // The server's client learns the new slot table by itself (a hung master sends no MOVED and closes nothing).
    await waitFor('a lock on the failed-over slots', async () => (await lockCall(clients, hung[2]!)).error === undefined, 30_000, 200);
    await waitFor('the breaker closed', async () => (await metric('smarterbase_redis_breaker_state')) === 0, 30_000, 100);
    // Health follows its own probe (every interval, hysteresis), not the breaker: it may report SERVING a probe later.
    await waitFor('coordination SERVING', async () => (await status('smarterbase.coordination')) === S.SERVING, 30_000, 100);
    expect(summary((await lockCall(clients, elsewhere)).error)).toBe('ok');
    expect(stopped.exitCode === null && stopped.signalCode === null).toBe(true); // still there, still stopped
  } finally {
    stopped.kill('SIGCONT');
  }
});
