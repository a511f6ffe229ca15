/**
 * Start-up failures are one line naming the setting to change (issue 15):
 * the built server is spawned against a busy port, an unreachable Redis, an
 * unreachable S3 endpoint and a missing bucket; each must exit 1 with exactly
 * that line on stderr (and the same text as the one fatal JSON record on
 * stdout). SB_STARTUP_RETRY_MS lets a server wait for a Redis that comes up late.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, refusedPort } from '../harness/free-port.js';
import { startRedis, type RedisTestServer } from '../harness/redis-server.js';
import { startS3Server, type S3TestServer } from '../harness/s3-server.js';
import { serverMain } from '../harness/server-process.js';
import { runToExit, type Finished } from './run-to-exit.js';

jest.setTimeout(180_000);

let dataDir: string;
beforeAll(() => (dataDir = mkdtempSync(join(tmpdir(), 'sb-startup-'))));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Runs the server with `env` over free ports and JSON logs, until it exits. */
function runServer(env: Record<string, string>): Promise<Finished> {
  return runToExit(process.execPath, [serverMain], {
    SB_DATA_DIR: dataDir,
    SB_GRPC_PORT: '0',
    SB_HTTP_PORT: '0',
    SB_METRICS_PORT: '0',
    SB_LOG_FORMAT: 'json',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    ...env,
  });
}

/** Asserts exit code 1, exactly `line` on stderr, and one fatal JSON record on stdout with that msg and `setting`. */
function expectOneLine(run: Finished, line: string, setting: string): void {
  expect(run.stderr).toBe(`${line}\n`);
  expect(run.code).toBe(1);
  const fatal = run.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: number; msg: string; setting?: string; err?: unknown })
    .filter((r) => r.level === 60);
  expect(fatal).toEqual([expect.objectContaining({ msg: line, setting })]);
  expect(fatal[0]!.err).toBeUndefined(); // no stack trace for an explained failure
}

/** A TCP server holding a free port, as another program would. */
async function occupy(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { port: address.port, server };
}

test('a busy gRPC port: "gRPC port N is in use (SB_GRPC_PORT)", exit 1', async () => {
  const { port, server } = await occupy();
  try {
    expectOneLine(await runServer({ SB_GRPC_PORT: String(port) }), `gRPC port ${port} is in use (SB_GRPC_PORT)`, 'SB_GRPC_PORT');
  } finally {
    server.close();
  }
});

test('a busy HTTP port: "HTTP port N is in use (SB_HTTP_PORT)", exit 1', async () => {
  const { port, server } = await occupy();
  try {
    expectOneLine(await runServer({ SB_HTTP_PORT: String(port) }), `HTTP port ${port} is in use (SB_HTTP_PORT)`, 'SB_HTTP_PORT');
  } finally {
    server.close();
  }
});

test('an unreachable Redis: its URL without the password and how to check it, exit 1', async () => {
  const port = await refusedPort(); // nothing listens there
  const run = await runServer({ SB_COORDINATION: 'redis', SB_REDIS_URL: `redis://:s3cret@127.0.0.1:${port}` });
  const url = `redis://127.0.0.1:${port}`;
  expectOneLine(
    run,
    `Redis at ${url} is unreachable (SB_REDIS_URL): connect ECONNREFUSED 127.0.0.1:${port}; check with: redis-cli -u ${url} ping`,
    'SB_REDIS_URL',
  );
  expect(run.stdout + run.stderr).not.toContain('s3cret');
});

test('an unreachable S3 endpoint: endpoint, bucket and the setting, exit 1', async () => {
  const port = await refusedPort();
  const endpoint = `http://127.0.0.1:${port}`;
  const run = await runServer({ SB_STORAGE: 's3', SB_S3_ENDPOINT: endpoint, SB_S3_BUCKET: 'bk', SB_S3_FORCE_PATH_STYLE: 'true' });
  expectOneLine(
    run,
    `S3 bucket bk at ${endpoint} is unreachable (SB_S3_ENDPOINT): connect ECONNREFUSED 127.0.0.1:${port}; check with: curl -sI ${endpoint}`,
    'SB_S3_ENDPOINT',
  );
});

describe('with a real S3 server (gofakes3)', () => {
  let s3: S3TestServer;
  beforeAll(async () => (s3 = await startS3Server()));
  afterAll(async () => s3?.stop());

  test('a missing bucket: endpoint, bucket, and SB_S3_CREATE_BUCKET as the fix, exit 1', async () => {
    const run = await runServer({
      SB_STORAGE: 's3',
      SB_S3_ENDPOINT: s3.endpoint,
      SB_S3_BUCKET: 'no-such-bucket',
      SB_S3_FORCE_PATH_STYLE: 'true',
    });
    expectOneLine(
      run,
      `S3 bucket no-such-bucket at ${s3.endpoint} does not exist: create it, or set SB_S3_CREATE_BUCKET=true (SB_S3_BUCKET)`,
      'SB_S3_BUCKET',
    );
  });
});

test('a bad settings value: the setting and what it accepts, exit 2', async () => {
  const run = await runServer({ SB_LOG_FORMAT: 'xml' });
  expect(run.stderr).toBe('config error: SB_LOG_FORMAT must be one of auto, json, pretty (got "xml")\n');
  expect(run.code).toBe(2);
});

describe('SB_STARTUP_RETRY_MS', () => {
  let redis: RedisTestServer | undefined;
  afterEach(async () => redis?.stop());

  test('a server started before its Redis waits for it, logging each retry, and then serves', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [serverMain], {
      env: {
        ...process.env,
        SB_DATA_DIR: dataDir,
        SB_GRPC_PORT: '0',
        SB_HTTP_PORT: '0',
        SB_METRICS_PORT: '0',
        SB_LOG_FORMAT: 'json',
        SB_COORDINATION: 'redis',
        SB_REDIS_URL: `redis://127.0.0.1:${port}`,
        SB_STARTUP_RETRY_MS: '120000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString())); // before the checks below, so they see each chunk
    const seen = (text: string): Promise<void> =>
      new Promise((resolve, reject) => {
        const guard = setTimeout(() => reject(new Error(`no "${text}" within 120 s:\n${out}`)), 120_000);
        const check = (): void => {
          if (!out.includes(text)) return;
          clearTimeout(guard);
          child.stdout.off('data', check);
          resolve();
        };
        child.stdout.on('data', check);
        check();
      });
    try {
      // Redis comes up only once the server has said it is retrying.
      await seen(
        `Redis at redis://127.0.0.1:${port} is unreachable (SB_REDIS_URL): connect ECONNREFUSED 127.0.0.1:${port}; check with: redis-cli -u redis://127.0.0.1:${port} ping; retrying`,
      );
      redis = await startRedis(port);
      await seen(' ready: gRPC '); // the banner, logged after "listening"
      expect(out).toContain(`coordination redis redis://127.0.0.1:${port}; auth off`);
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });

  test('0 (the default) fails at once: exactly one attempt', async () => {
    const port = await refusedPort();
    const run = await runServer({ SB_COORDINATION: 'redis', SB_REDIS_URL: `redis://127.0.0.1:${port}` });
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('retrying');
  });
});
