/**
 * Issue 10, "Losing Redis loses nothing" (indexes): the scenario of
 * redis-lost-indexes-scenario.ts with two servers on S3 (gofakes3) and a real
 * redis-server that restarts empty on the same port (on a Redis Cluster:
 * test/cluster/cluster-servers.test.ts).
 */
import { serverClients, type ServerClients } from '../harness/doc-client.js';
import { startRedis, type RedisTestServer } from '../harness/redis-server.js';
import { startSharedStack, type SharedStack } from '../harness/shared-stack.js';
import { redisLostIndexesScenario } from './redis-lost-indexes-scenario.js';

jest.setTimeout(180_000);

let stack: SharedStack;
let redis2: RedisTestServer | undefined;
let clients: ServerClients[];

beforeAll(async () => {
  stack = await startSharedStack(2, { SB_INDEX_RECONCILE_MS: '1000' });
  clients = stack.servers.map((s) => serverClients(s.grpcUrl));
});

afterAll(async () => {
  await stack?.stop();
  await redis2?.stop();
});

redisLostIndexesScenario(
  () => clients,
  async () => {
    // Redis restarts empty where the servers expect it.
    const port = stack.redis.port;
    await stack.redis.stop();
    redis2 = await startRedis(port);
  },
  'Redis restarts empty',
);
