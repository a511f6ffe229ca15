/**
 * The compiled server as a process (run `npm run build` first): it logs one
 * "listening" line with its ports, serves each storage backend, exits 0 on
 * SIGTERM, and a bad setting stops it with exit code 2 and one line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code, ConnectError } from '@connectrpc/connect';
import { docClient } from '../harness/doc-client.js';
import { startRedis } from '../harness/redis-server.js';
import { startS3Server, type S3TestServer } from '../harness/s3-server.js';
import { repoRoot, serverMain, startServer } from '../harness/server-process.js';

test('memory storage: one listening line, Put/Get over gRPC and Connect JSON, SIGTERM exits 0', async () => {
  const srv = await startServer({ SB_STORAGE: 'memory' });
  try {
    const listening = srv
      .output()
      .split('\n')
      .filter((l) => l.includes('"msg":"listening"'));
    expect(listening).toHaveLength(1);
    const c = docClient(srv.grpcUrl);
    const put = await c.put({ collection: 'p', id: 'a', data: { x: 1 } });
    const res = await fetch(`http://127.0.0.1:${srv.httpPort}/smarterbase.v1.DocumentService/Get`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"collection":"p","id":"a"}',
    });
    expect(((await res.json()) as { document: { etag: string } }).document.etag).toBe(put.document?.etag);
  } finally {
    expect(await srv.stop('SIGTERM')).toBe(0);
  }
  expect(srv.output()).toContain('"msg":"stopped"');
});

test('filesystem storage keeps documents across a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-main-'));
  try {
    const first = await startServer({ SB_STORAGE: 'filesystem', SB_DATA_DIR: dir });
    await docClient(first.grpcUrl).put({ collection: 'p', id: 'kept', data: { v: 7 } });
    expect(await first.stop()).toBe(0);
    const second = await startServer({ SB_STORAGE: 'filesystem', SB_DATA_DIR: dir });
    try {
      expect((await docClient(second.grpcUrl).get({ collection: 'p', id: 'kept' })).document?.data).toEqual({ v: 7 });
    } finally {
      await second.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('s3 storage (gofakes3)', () => {
  let s3: S3TestServer;
  beforeAll(async () => {
    s3 = await startS3Server('sb-main');
  });
  afterAll(async () => {
    await s3.stop();
  });

  test('probes conditional writes, logs the result, and serves CAS', async () => {
    const srv = await startServer({
      SB_STORAGE: 's3',
      SB_S3_ENDPOINT: s3.endpoint,
      SB_S3_BUCKET: 'sb-main-created',
      SB_S3_CREATE_BUCKET: 'true',
      SB_S3_FORCE_PATH_STYLE: 'true',
      SB_S3_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
    try {
      expect(srv.output()).toContain('"msg":"conditional-write probe"');
      expect(srv.output()).toMatch(/"conditional":"(native|lock)"/);
      // gofakes3's ETags are MD5s: every read proves its etag (docs/adr/0007-reads-that-prove-their-version.md).
      expect(srv.output()).toMatch(/"verify":true,"proof":"md5-etag","mode":"auto","msg":"s3 read verification"/);
      const c = docClient(srv.grpcUrl);
      const put = await c.put({ collection: 'p', id: 'a', data: { v: 1 } });
      await c.putIfMatch({ collection: 'p', id: 'a', data: { v: 2 }, etag: put.document!.etag });
      const stale = await c
        .putIfMatch({ collection: 'p', id: 'a', data: { v: 3 }, etag: put.document!.etag })
        .catch((e: unknown) => ConnectError.from(e));
      expect((stale as ConnectError).code).toBe(Code.Aborted);
    } finally {
      expect(await srv.stop()).toBe(0);
    }
  });

  test('lock mode with redis coordination (real redis-server) serves CAS and shuts down cleanly', async () => {
    const redis = await startRedis();
    try {
      const srv = await startServer({
        SB_STORAGE: 's3',
        SB_S3_ENDPOINT: s3.endpoint,
        SB_S3_BUCKET: s3.bucket,
        SB_S3_FORCE_PATH_STYLE: 'true',
        SB_S3_REGION: 'us-east-1',
        SB_S3_CONDITIONAL: 'lock',
        SB_COORDINATION: 'redis',
        SB_REDIS_URL: redis.url,
        SB_PAGE_TOKEN_SECRET: 's',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
      });
      try {
        expect(srv.output()).toContain('"conditional":"lock","coordination":"redis"');
        const c = docClient(srv.grpcUrl);
        const created = await c.create({ collection: 'r', id: 'one', data: { v: 1 } });
        const dup = await c.create({ collection: 'r', id: 'one', data: { v: 2 } }).catch((e: unknown) => ConnectError.from(e));
        expect((dup as ConnectError).code).toBe(Code.AlreadyExists);
        expect((await c.get({ collection: 'r', id: 'one' })).document?.etag).toBe(created.document?.etag);
      } finally {
        expect(await srv.stop()).toBe(0);
      }
    } finally {
      await redis.stop();
    }
  });
});

test.each([
  [{ SB_STORAGE: 'foo' }, [], 'config error: SB_STORAGE must be one of filesystem, memory, s3 (got "foo")'],
  [{}, ['--grpc-port', '-1'], 'config error: --grpc-port must be a port from 0 to 65535 (got "-1")'],
  [{ SB_STORAGE: 's3' }, [], 'config error: SB_S3_BUCKET (--s3-bucket) is required when SB_STORAGE is s3'],
])('a bad setting %j %j exits 2 with one line on stderr', (env, args, line) => {
  const r = spawnSync(process.execPath, [serverMain, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 20000,
  });
  expect(r.status).toBe(2);
  expect(r.stderr).toBe(`${line}\n`);
  expect(r.stdout).toBe('');
});
