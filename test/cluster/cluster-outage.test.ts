/**
 * Issue 8 defect 6 and issue 10 on a real 3-master Redis Cluster with one
 * replica each: a built server on gofakes3 (conditions by Redis lock) with
 * SB_REDIS_CLUSTER=true, SB_REDIS_TIMEOUT_MS=500, under a put + get load.
 * What a client sees of a failed call is always UNAVAILABLE with ErrorInfo
 * BACKEND_UNAVAILABLE and RetryInfo, never backend text, whatever the
 * cluster answers meanwhile (timeouts, CLUSTERDOWN, MOVED, closed links):
 * - a master SIGKILLed mid-load: the load goes on once its replica took over,
 *   with no server restart, on every key;
 * - every node stopped (SIGSTOP) mid-load: a write ends at the server-side
 *   limit, reads by id go on, the failed write changed nothing,
 *   smarterbase.coordination turns NOT_SERVING and SERVING again after SIGCONT;
 * - a shard lost for good (master and replica killed: the cluster refuses
 *   every command with CLUSTERDOWN): calls fail cleanly, reads by id go on,
 *   the server stays up and says coordination NOT_SERVING.
 * (The S3 outage cases of backend-outage.test.ts do not depend on Redis.)
 */
import { ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { Health, HealthCheckResponse_ServingStatus as S } from '../../server/src/gen/grpc/health/v1/health_pb.js';
import { docClient, type DocClient } from '../harness/doc-client.js';
import { startRedisCluster, type RedisTestCluster } from '../harness/redis-cluster.js';
import { waitFor } from '../harness/redis-process.js';
import { startS3Server, type S3TestServer } from '../harness/s3-server.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';
import { EXPECTED, leftovers, startLoad, summary } from '../integration/outage-load.js';

jest.setTimeout(120_000);

let cluster: RedisTestCluster;
let s3: S3TestServer;
let server: ServerProcess;
let client: DocClient;
let health: Client<typeof Health>;
const status = async (service: string): Promise<S> => (await health.check({ service }, { timeoutMs: 5000 })).status;

beforeAll(async () => {
  [cluster, s3] = await Promise.all([startRedisCluster(), startS3Server()]);
  server = await startServer({
    SB_STORAGE: 's3',
    SB_S3_ENDPOINT: s3.endpoint,
    SB_S3_BUCKET: s3.bucket,
    SB_S3_FORCE_PATH_STYLE: 'true',
    SB_S3_CONDITIONAL: 'lock',
    SB_COORDINATION: 'redis',
    SB_REDIS_CLUSTER: 'true',
    SB_REDIS_URL: cluster.url,
    SB_REDIS_TIMEOUT_MS: '500',
    SB_REDIS_LOSS_CHECK_MS: '200',
    SB_HEALTH_PROBE_INTERVAL_MS: '200',
  });
  client = docClient(server.grpcUrl);
  health = createClient(Health, createGrpcTransport({ baseUrl: server.grpcUrl }));
});

afterEach(async () => {
  for (const l of leftovers.splice(0)) await l.stop();
});

afterAll(async () => {
  await server?.stop();
  for (const n of cluster?.nodes ?? []) n.child.kill('SIGCONT');
  await Promise.all([cluster?.stop(), s3?.stop()]);
});

/** Puts every key of the load (4 workers × 10 ids) once; true when all succeed. */
async function everyKeyWrites(): Promise<boolean> {
  const puts = Array.from({ length: 40 }, (_, i) =>
    client.put({ collection: 'load', id: `w${i % 4}-${Math.floor(i / 4)}`, data: { final: i } }),
  );
  return (await Promise.allSettled(puts)).every((r) => r.status === 'fulfilled');
}

it('a master SIGKILLed mid-load: failures are UNAVAILABLE + BACKEND_UNAVAILABLE + RetryInfo, no backend text; the load goes on after the failover', async () => {
  const load = startLoad(client);
  await waitFor('load to run', () => load.ok() >= 20);
  const victim = (await cluster.topology()).find((n) => n.role === 'master')!.port;
  await cluster.killMasterAndAwaitFailover(victim);
  await waitFor('the server to log the failover as a coordination loss', () => server.output().includes('coordination loss detected'));
  const before = load.ok();
  await waitFor('the load to recover', () => load.ok() >= before + 20);
  await load.stop();
  expect([...new Set(load.errors.map(summary))].filter((s) => s !== EXPECTED)).toEqual([]);
  await waitFor('every key to take writes', everyKeyWrites, 30_000, 200);
  // Health follows its own probe (every interval, hysteresis), not the calls: it may report SERVING a probe later.
  await waitFor('coordination SERVING', async () => (await status('smarterbase.coordination')) === S.SERVING, 30_000, 100);
  console.log(`master failover under load: ${load.errors.length} calls failed UNAVAILABLE, ${load.ok()} rounds succeeded`);
});

it('every node stopped mid-load: a write ends at SB_REDIS_TIMEOUT_MS with UNAVAILABLE, reads go on, the failed write changed nothing; SIGCONT recovers', async () => {
  const before = await client.put({ collection: 'hang', id: 'r1', data: { v: 1 } });
  const load = startLoad(client);
  await waitFor('load to run', () => load.ok() >= 20);
  for (const n of cluster.nodes) n.child.kill('SIGSTOP');
  try {
    const clientDeadlineMs = 30_000;
    const started = Date.now();
    const e = await client.put({ collection: 'hang', id: 'r1', data: { v: 2 } }, { timeoutMs: clientDeadlineMs }).then(
      () => undefined,
      (x: unknown) => ConnectError.from(x),
    );
    expect(Date.now() - started).toBeLessThan(clientDeadlineMs);
    expect(e && summary(e)).toBe(EXPECTED);
    await waitFor('errors under load', () => load.errors.length >= 10);
    await waitFor('coordination NOT_SERVING', async () => (await status('smarterbase.coordination')) === S.NOT_SERVING);
    expect(await status('')).toBe(S.SERVING); // storage answers: reads go on
    const got = await client.get({ collection: 'hang', id: 'r1' });
    expect([got.document?.data, got.document?.etag]).toEqual([{ v: 1 }, before.document?.etag]);
  } finally {
    for (const n of cluster.nodes) n.child.kill('SIGCONT');
  }
  await waitFor('coordination SERVING again', async () => (await status('smarterbase.coordination')) === S.SERVING, 60_000);
  const ok = load.ok();
  await waitFor('writes to recover', () => load.ok() >= ok + 10, 60_000);
  await load.stop();
  expect([...new Set(load.errors.map(summary))]).toEqual([EXPECTED]);
  await client.put({ collection: 'hang', id: 'r1', data: { v: 3 } });
  expect((await client.get({ collection: 'hang', id: 'r1' })).document?.data).toEqual({ v: 3 });
});

it('a shard lost for good (CLUSTERDOWN): calls fail UNAVAILABLE without backend text, reads go on, coordination NOT_SERVING, the server stays up', async () => {
  await cluster.awaitOk();
  await client.put({ collection: 'down', id: 'd1', data: { v: 1 } });
  const nodes = await cluster.topology();
  const master = nodes.find((n) => n.role === 'master' && nodes.some((r) => r.masterId === n.id))!;
  const shard = [master.port, ...nodes.filter((r) => r.masterId === master.id).map((r) => r.port)];
  for (const port of shard) {
    const child = cluster.nodes.find((n) => n.port === port)!.child;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
  const load = startLoad(client);
  await waitFor('errors under load', () => load.errors.length >= 20, 60_000);
  await waitFor('coordination NOT_SERVING', async () => (await status('smarterbase.coordination')) === S.NOT_SERVING, 30_000);
  expect(await status('')).toBe(S.SERVING);
  expect((await client.get({ collection: 'down', id: 'd1' })).document?.data).toEqual({ v: 1 });
  await load.stop();
  expect([...new Set(load.errors.map(summary))]).toEqual([EXPECTED]);
  expect(server.child.exitCode).toBeNull();
});
