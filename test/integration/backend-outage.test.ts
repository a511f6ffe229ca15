/**
 * Issue 8, defect 6: slow or dead S3 / Redis, against real processes
 * (gofakes3 behind a fault proxy, redis-server, the built server) and a stock
 * client (connect-node's gRPC transport).
 *
 * - Redis or S3 stopped mid-load: every failed call is UNAVAILABLE with
 *   ErrorInfo BACKEND_UNAVAILABLE and RetryInfo, and no backend text.
 * - S3 that accepts and never answers, Redis stopped with SIGSTOP: the call
 *   ends at the server-side limit (SB_S3_TIMEOUT_MS, SB_REDIS_TIMEOUT_MS),
 *   UNAVAILABLE, before the client's own generous deadline.
 * - Health: smarterbase.storage / smarterbase.coordination (and '' for
 *   storage) turn NOT_SERVING during the outage and SERVING after it, for
 *   Check (connect-node and grpcurl) and Watch.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { ErrorInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import { Health, HealthCheckResponse_ServingStatus as S } from '../../server/src/gen/grpc/health/v1/health_pb.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';
import { startS3Server, type S3TestServer } from '../harness/s3-server.js';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.js';
import { freePort } from '../harness/free-port.js';
import { docClient, type DocClient } from '../harness/doc-client.js';
import { EXPECTED, leftovers, startLoad, summary } from './outage-load.js';
import { redisOn, stopChild, waitFor } from '../harness/redis-process.js';

jest.setTimeout(120_000);

const portOf = (endpoint: string): number => Number(new URL(endpoint).port);

/** The health status grpcurl (a stock client, over reflection) reports for `service` at `addr`. */
function grpcurlHealth(addr: string, service: string): Promise<string> {
  const bin = join(__dirname, '..', '..', '.tools', 'bin', 'grpcurl');
  return new Promise((resolve) => {
    execFile(
      bin,
      ['-plaintext', '-d', JSON.stringify({ service }), addr, 'grpc.health.v1.Health/Check'],
      { timeout: 20_000 },
      (_e, out) => {
        resolve((JSON.parse(out || '{}') as { status?: string }).status ?? '');
      },
    );
  });
}

describe('backend outages on S3 + Redis (real processes)', () => {
  let s3: S3TestServer;
  let proxy: FaultProxy;
  let redisPort: number;
  let redis: ChildProcess;
  let server: ServerProcess;
  let client: DocClient;
  let health: Client<typeof Health>;
  const status = async (service: string): Promise<S> => (await health.check({ service }, { timeoutMs: 5000 })).status;

  beforeAll(async () => {
    s3 = await startS3Server();
    proxy = await startFaultProxy(portOf(s3.endpoint));
    redisPort = await freePort();
    redis = await redisOn(redisPort);
    server = await startServer({
      SB_STORAGE: 's3',
      SB_S3_ENDPOINT: `http://127.0.0.1:${proxy.port}`,
      SB_S3_BUCKET: s3.bucket,
      SB_S3_FORCE_PATH_STYLE: 'true',
      SB_S3_CONDITIONAL: 'lock',
      SB_S3_TIMEOUT_MS: '1500',
      SB_COORDINATION: 'redis',
      SB_REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      SB_REDIS_TIMEOUT_MS: '500',
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
    if (redis) await stopChild(redis);
    await proxy?.close();
    await s3?.stop();
  });

  it('health names the subsystems and starts SERVING', async () => {
    for (const service of ['', 'smarterbase.v1.DocumentService', 'smarterbase.storage', 'smarterbase.coordination']) {
      expect(await status(service)).toBe(S.SERVING);
    }
  });

  it('Redis stopped mid-load: failures are UNAVAILABLE + BACKEND_UNAVAILABLE + RetryInfo, no backend text; coordination health flips and recovers', async () => {
    const load = startLoad(client);
    await waitFor('load to run', () => load.ok() >= 20);
    await stopChild(redis);
    await waitFor('errors under load', () => load.errors.length >= 20);
    await waitFor('coordination NOT_SERVING', async () => (await status('smarterbase.coordination')) === S.NOT_SERVING);
    expect(await status('')).toBe(S.SERVING); // storage answers: reads go on
    expect(await status('smarterbase.storage')).toBe(S.SERVING);
    redis = await redisOn(redisPort);
    await waitFor('coordination SERVING again', async () => (await status('smarterbase.coordination')) === S.SERVING);
    const before = load.ok();
    await waitFor('writes to recover', () => load.ok() >= before + 10);
    await load.stop();
    expect([...new Set(load.errors.map(summary))]).toEqual([EXPECTED]);
    // The real cause is in the server's log, not on the wire: on a failed call, on the breaker's opening, or on
    // background work that met the outage first (a write's feed resolve, after which every call fails fast on the
    // open breaker).
    const lines = server.output().split('\n');
    const logged = lines.filter((l) => l.includes('"backend failure in a call"'));
    expect(logged.length).toBeGreaterThan(0);
    const opened = lines.filter((l) => l.includes('"redis circuit breaker state changed"') && l.includes('"state":"open"'));
    const background = lines.filter((l) => l.includes('"resolving a feed revision failed; the feed sweeper resolves it"'));
    expect([...logged, ...opened, ...background].some((l) => /Redis command failed/.test(l))).toBe(true);
  });

  it('Redis that stops answering (SIGSTOP): a write ends at SB_REDIS_TIMEOUT_MS with UNAVAILABLE, before a generous client deadline', async () => {
    await client.put({ collection: 'hang', id: 'r1', data: { v: 1 } });
    redis.kill('SIGSTOP');
    try {
      const clientDeadlineMs = 30_000;
      const started = Date.now();
      const e = await client.put({ collection: 'hang', id: 'r1', data: { v: 2 } }, { timeoutMs: clientDeadlineMs }).then(
        () => undefined,
        (x: unknown) => ConnectError.from(x),
      );
      expect(Date.now() - started).toBeLessThan(clientDeadlineMs);
      expect(e && summary(e)).toBe(EXPECTED);
      await waitFor('coordination NOT_SERVING', async () => (await status('smarterbase.coordination')) === S.NOT_SERVING);
    } finally {
      redis.kill('SIGCONT');
    }
    await waitFor('coordination SERVING again', async () => (await status('smarterbase.coordination')) === S.SERVING);
    await waitFor('writes to recover', async () =>
      client.put({ collection: 'hang', id: 'r1', data: { v: 3 } }).then(
        () => true,
        () => false,
      ),
    );
  });

  it('S3 stopped mid-load: failures are UNAVAILABLE + BACKEND_UNAVAILABLE + RetryInfo, no backend text; storage and "" flip (Watch too) and recover', async () => {
    const watched: S[] = [];
    const ac = new AbortController();
    leftovers.push({ stop: () => ac.abort() });
    const watching = (async () => {
      for await (const r of health.watch({ service: 'smarterbase.storage' }, { signal: ac.signal })) watched.push(r.status);
    })().catch(() => undefined);
    await waitFor('the first Watch message', () => watched.length === 1);
    const load = startLoad(client);
    await waitFor('load to run', () => load.ok() >= 20);
    await s3.stop();
    await waitFor('errors under load', () => load.errors.length >= 20);
    await waitFor('storage NOT_SERVING', async () => (await status('smarterbase.storage')) === S.NOT_SERVING);
    expect(await status('')).toBe(S.NOT_SERVING);
    expect(await status('smarterbase.coordination')).toBe(S.SERVING);
    const addr = `127.0.0.1:${server.grpcPort}`;
    expect(await grpcurlHealth(addr, 'smarterbase.storage')).toBe('NOT_SERVING');
    expect(await grpcurlHealth(addr, '')).toBe('NOT_SERVING');
    s3 = await startS3Server(s3.bucket);
    proxy.setUpstream(portOf(s3.endpoint));
    await waitFor('storage SERVING again', async () => (await status('smarterbase.storage')) === S.SERVING);
    expect(await status('')).toBe(S.SERVING);
    expect(await grpcurlHealth(`127.0.0.1:${server.grpcPort}`, 'smarterbase.storage')).toBe('SERVING');
    const before = load.ok();
    await waitFor('calls to recover', () => load.ok() >= before + 10);
    await load.stop();
    ac.abort();
    await watching;
    expect(watched).toEqual([S.SERVING, S.NOT_SERVING, S.SERVING]);
    expect([...new Set(load.errors.map(summary))]).toEqual([EXPECTED]);
  });

  it('S3 that accepts and never answers: the call ends at the server-side limit with UNAVAILABLE, before a generous client deadline', async () => {
    await client.put({ collection: 'hang', id: 'h1', data: { v: 1 } });
    proxy.setMode('hang');
    const clientDeadlineMs = 30_000;
    const started = Date.now();
    const e = await client.get({ collection: 'hang', id: 'h1' }, { timeoutMs: clientDeadlineMs }).then(
      () => undefined,
      (x: unknown) => ConnectError.from(x),
    );
    expect(Date.now() - started).toBeLessThan(clientDeadlineMs);
    expect(e && summary(e)).toBe(EXPECTED);
    expect(e?.findDetails(ErrorInfoSchema)[0]?.metadata).toMatchObject({ timeoutMs: '1500' });
    await waitFor('storage NOT_SERVING', async () => (await status('smarterbase.storage')) === S.NOT_SERVING);
    proxy.setMode('pass');
    await waitFor('storage SERVING again', async () => (await status('smarterbase.storage')) === S.SERVING);
    expect((await client.get({ collection: 'hang', id: 'h1' })).document?.data).toEqual({ v: 1 });
  });
});
