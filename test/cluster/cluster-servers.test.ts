/**
 * Issue 10, "Redis Cluster": two server processes with SB_REDIS_CLUSTER=true
 * on a real S3 server and a real 3-master cluster (the seeds in
 * SB_REDIS_URL). Unique, equality and ordered indexes answer require_index
 * queries, a duplicate unique value is refused, fenced writes pass; then the
 * master serving the collection's slot is SIGKILLed: both servers log the
 * failover as a coordination loss, a pre-failover lock guard is outranked by
 * the next grant, and the indexes answer completely again. Then the shard
 * serving another collection loses its data (FLUSHALL on its master, which
 * its replica follows): the scenario of redis-lost-indexes-scenario.ts (the
 * indexes come back by themselves; no partial answer, no duplicate accepted).
 */
import { Code, ConnectError } from '@connectrpc/connect';
import { ErrorInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import { IndexKind, IndexState } from '../../server/src/gen/smarterbase/v1/index_pb.js';
import { keySlot } from '../../server/src/coordination/redis/cluster-slots.js';
import { serverClients, type ServerClients } from '../harness/doc-client.js';
import { startRedisCluster, type RedisTestCluster } from '../harness/redis-cluster.js';
import { waitFor } from '../harness/redis-process.js';
import { startS3Server } from '../harness/s3-server.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';
import { redisLostIndexesScenario } from '../integration/redis-lost-indexes-scenario.js';
import Redis from 'ioredis';

// The slowest case took 75 s in a loaded CI run (session 14); a slower machine needs the margin.
jest.setTimeout(240_000);

const COLLECTION = 'clustered';
const DOCS = 60;

let cluster: RedisTestCluster;
let s3: Awaited<ReturnType<typeof startS3Server>>;
let servers: ServerProcess[] = [];
let clients: ServerClients[] = [];

beforeAll(async () => {
  [cluster, s3] = await Promise.all([startRedisCluster(), startS3Server()]);
  const env = {
    SB_STORAGE: 's3',
    SB_S3_ENDPOINT: s3.endpoint,
    SB_S3_BUCKET: s3.bucket,
    SB_S3_FORCE_PATH_STYLE: 'true',
    SB_COORDINATION: 'redis',
    SB_REDIS_CLUSTER: 'true',
    SB_REDIS_URL: cluster.url,
    SB_REDIS_LOSS_CHECK_MS: '200',
    SB_INDEX_RECONCILE_MS: '1000',
  };
  servers = await Promise.all([startServer(env), startServer(env)]);
  clients = servers.map((s) => serverClients(s.grpcUrl));
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await Promise.all([cluster?.stop(), s3?.stop()]);
});

const STATUSES = ['new', 'active', 'closed'] as const;
const docOf = (i: number) => ({ email: `u${i}@example.com`, status: STATUSES[i % 3]!, n: i });
const id = (i: number): string => `d${String(i).padStart(3, '0')}`;
const activeIds = Array.from({ length: DOCS }, (_, i) => i)
  .filter((i) => i % 3 === 1)
  .map(id);

/** `call`, retried while it fails UNAVAILABLE (a master down until its replica takes over). */
async function whenAvailable<T>(call: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await call();
    } catch (e) {
      if (ConnectError.from(e).code !== Code.Unavailable || i > 400) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function activeQuery(c: ServerClients): Promise<string[]> {
  const out: string[] = [];
  for await (const m of c.query.query({ collection: COLLECTION, filterExpression: 'status = "active"', requireIndex: true })) {
    if (m.document) out.push(m.document.id);
  }
  return out;
}

async function reason(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return 'OK';
  } catch (e) {
    const err = ConnectError.from(e);
    return `${Code[err.code]}/${err.findDetails(ErrorInfoSchema)[0]?.reason ?? ''}`;
  }
}

it('serves indexes, unique constraints and fenced locks on a cluster, and through a master failover', async () => {
  const [a, b] = clients as [ServerClients, ServerClients];
  await a.admin.createIndex({ index: { collection: COLLECTION, name: 'by_email', fields: ['email'], kind: IndexKind.UNIQUE } });
  await b.admin.createIndex({ index: { collection: COLLECTION, name: 'by_status', fields: ['status'], kind: IndexKind.EQUALITY } });
  await a.admin.createIndex({ index: { collection: COLLECTION, name: 'by_n', fields: ['n'], kind: IndexKind.ORDERED } });
  for (let i = 0; i < DOCS; i++) await clients[i % 2]!.docs.put({ collection: COLLECTION, id: id(i), data: docOf(i) });
  await waitFor('every index READY', async () =>
    (await a.admin.listIndexes({ collection: COLLECTION })).indexes.every((i) => i.state === IndexState.READY),
  );
  expect(await activeQuery(b)).toEqual(activeIds);
  expect(await reason(() => b.docs.put({ collection: COLLECTION, id: 'dup', data: docOf(4) }))).toBe('AlreadyExists/UNIQUE_VIOLATION');

  const grantA = await a.locks.acquire({ name: 'job', ttl: { seconds: 60n }, holder: 'A' });
  await b.docs.put({ collection: COLLECTION, id: id(0), data: docOf(0), lockGuard: { name: 'job', fencingToken: grantA.fencingToken } });

  // The master of the collection's slot dies; its replica takes over.
  const victim = (await cluster.masterOfSlot(keySlot(`sb:{ix:${COLLECTION}}:cat`))).port;
  await cluster.killMasterAndAwaitFailover(victim);
  await waitFor('both servers to log the failover as a coordination loss', () =>
    servers.every((s) => s.output().includes('coordination loss detected')),
  );

  // A new epoch: the next grant outranks A, whose guard is then refused.
  await whenAvailable(() => a.locks.release({ name: 'job', leaseId: grantA.leaseId }));
  const grantB = await whenAvailable(() => b.locks.acquire({ name: 'job', ttl: { seconds: 60n }, holder: 'B' }));
  expect(grantB.fencingToken >> 32n).toBeGreaterThan(grantA.fencingToken >> 32n); // a newer epoch
  const guardA = { name: 'job', fencingToken: grantA.fencingToken };
  expect(await reason(() => a.docs.put({ collection: COLLECTION, id: id(1), data: docOf(1), lockGuard: guardA }))).toBe(
    'FailedPrecondition/LOCK_NOT_HELD',
  );

  // Indexes answer completely on both servers; writes go on.
  await whenAvailable(() => a.docs.put({ collection: COLLECTION, id: id(DOCS), data: docOf(DOCS) }));
  for (const c of clients) expect(await whenAvailable(() => activeQuery(c))).toEqual(DOCS % 3 === 1 ? [...activeIds, id(DOCS)] : activeIds);
  expect(await reason(() => a.docs.put({ collection: COLLECTION, id: 'dup2', data: docOf(7) }))).toBe('AlreadyExists/UNIQUE_VIOLATION');
});

redisLostIndexesScenario(
  () => clients,
  async (collection) => {
    const raw = new Redis((await cluster.masterOfSlot(keySlot(`sb:{ix:${collection}}:cat`))).port, '127.0.0.1');
    await raw.flushall();
    raw.disconnect();
  },
  'the shard serving the collection loses its data',
);
