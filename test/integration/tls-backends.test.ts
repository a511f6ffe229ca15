/**
 * TLS to the backends (docs/security.md, "TLS"): a server process on an
 * https versitygw (SB_S3_CA_FILE) and a TLS-only redis-server that requires
 * client certificates (rediss://, SB_REDIS_CA_FILE + SB_REDIS_CERT_FILE /
 * SB_REDIS_KEY_FILE), both signed by a private CA made for the run. Without
 * the CA (or the client certificate) the same server does not start, so the
 * settings are what makes the connections work.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestCa, type CertFiles, type TestCa } from '../harness/certs.js';
import { docClient } from '../harness/doc-client.js';
import { TestBody, download, grpcObjectClient, uploadMessages } from '../harness/object-client.js';
import { startRedis, type RedisTestServer } from '../harness/redis-server.js';
import type { S3TestServer } from '../harness/s3-server.js';
import { startServer } from '../harness/server-process.js';
import { startVersitygw } from '../harness/versitygw.js';

const dir = mkdtempSync(join(tmpdir(), 'sb-tls-backends-'));
let ca: TestCa;
let redisClient: CertFiles;
let s3: S3TestServer;
let redis: RedisTestServer;

beforeAll(async () => {
  ca = createTestCa(dir);
  const s3Cert = ca.issue('s3', 'localhost');
  const redisCert = ca.issue('redis', 'localhost');
  redisClient = ca.issue('redis-client', 'smarterbase', { usage: 'client' });
  s3 = await startVersitygw('sb-tls', s3Cert);
  redis = await startRedis(undefined, {
    certFile: redisCert.certFile,
    keyFile: redisCert.keyFile,
    caFile: ca.certFile,
    clientCert: redisClient,
  });
});

afterAll(async () => {
  await s3?.stop();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const env = (): Record<string, string> => ({
  SB_STORAGE: 's3',
  SB_S3_ENDPOINT: s3.endpoint,
  SB_S3_BUCKET: s3.bucket,
  SB_S3_FORCE_PATH_STYLE: 'true',
  SB_S3_CA_FILE: ca.certFile,
  SB_COORDINATION: 'redis',
  SB_REDIS_URL: redis.url,
  SB_REDIS_CA_FILE: ca.certFile,
  SB_REDIS_CERT_FILE: redisClient.certFile,
  SB_REDIS_KEY_FILE: redisClient.keyFile,
  SB_REDIS_TIMEOUT_MS: '1000',
});

test('documents and objects work over https S3 and rediss:// Redis (every Redis connection opens at start-up) with a private CA and a client certificate', async () => {
  expect(s3.endpoint).toMatch(/^https:/);
  expect(redis.url).toMatch(/^rediss:/);
  const sb = await startServer(env());
  try {
    const docs = docClient(sb.grpcUrl);
    await docs.put({ collection: 'tls', id: 'a', data: { v: 1 } });
    expect((await docs.get({ collection: 'tls', id: 'a' })).document?.data).toEqual({ v: 1 });
    // The object data store has its own S3 client (objects/compose/open-objects.ts).
    const objects = grpcObjectClient(sb.grpcUrl);
    const body = new TestBody(3 * 1024 * 1024);
    await objects.upload(uploadMessages({ collection: 'blobs', id: 'b' }, body.chunks()));
    expect((await download(objects, { collection: 'blobs', id: 'b' })).receivedSha256).toBe(body.sha256());
  } finally {
    await sb.stop();
  }
}, 180_000); // a hang guard: ~15 s idle; a server start with TLS to both backends plus a 3 MiB round trip took over 60 s at CI load

test('without SB_S3_CA_FILE the https endpoint is not trusted: start-up fails', async () => {
  const { SB_S3_CA_FILE: _, ...rest } = env();
  await expect(startServer({ ...rest, SB_S3_TIMEOUT_MS: '2000' })).rejects.toThrow(
    /exited with 1[\s\S]*(unable to verify|self.signed|certificate)/i,
  );
});

test('without the Redis CA, or without the client certificate, Redis refuses: start-up fails', async () => {
  const { SB_REDIS_CA_FILE: _, ...noCa } = env();
  await expect(startServer(noCa)).rejects.toThrow(/exited with 1[\s\S]*cannot connect to Redis/);
  const { SB_REDIS_CERT_FILE: _c, SB_REDIS_KEY_FILE: _k, ...noCert } = env();
  await expect(startServer(noCert)).rejects.toThrow(/exited with 1[\s\S]*cannot connect to Redis/);
});
