/**
 * Real faults, real components: a server on S3 + Redis whose Redis or S3
 * goes away must answer UNAVAILABLE / BACKEND_UNAVAILABLE (never crash, never
 * hang past the call's deadline, never half-write), and recover when the
 * backend returns. Bad input gets INVALID_ARGUMENT and writes nothing.
 */
import type { ChildProcess } from 'node:child_process';
import { Code, ConnectError } from '@connectrpc/connect';
import { ErrorInfoSchema, BadRequestSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';
import { startS3Server } from '../harness/s3-server.js';
import { freePort } from '../harness/free-port.js';
import { docClient, type DocClient } from '../harness/doc-client.js';
import { redisOn, stopChild } from '../harness/redis-process.js';

jest.setTimeout(120_000);

/** Runs `fn` and returns the ConnectError it must throw. */
async function failure(fn: () => Promise<unknown>): Promise<ConnectError> {
  try {
    await fn();
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error('expected the call to fail');
}

function reasonOf(e: ConnectError): string | undefined {
  return e.findDetails(ErrorInfoSchema)[0]?.reason;
}

describe('faults on S3 + Redis (conditions by Redis lock)', () => {
  let s3: Awaited<ReturnType<typeof startS3Server>>;
  let redisPort: number;
  let redis: ChildProcess;
  let server: ServerProcess;
  let client: DocClient;

  beforeAll(async () => {
    s3 = await startS3Server();
    redisPort = await freePort();
    redis = await redisOn(redisPort);
    server = await startServer({
      SB_STORAGE: 's3',
      SB_S3_ENDPOINT: s3.endpoint,
      SB_S3_BUCKET: s3.bucket,
      SB_S3_FORCE_PATH_STYLE: 'true',
      SB_S3_CONDITIONAL: 'lock',
      SB_COORDINATION: 'redis',
      SB_REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    });
    client = docClient(server.grpcUrl);
  });

  afterAll(async () => {
    await server?.stop();
    if (redis) await stopChild(redis);
    await s3?.stop();
  });

  it('bad input gets INVALID_ARGUMENT with the field at fault, and writes nothing', async () => {
    const e = await failure(() => client.put({ collection: 'faults', id: '../escape', data: { a: 1 } }));
    expect(e.code).toBe(Code.InvalidArgument);
    expect(reasonOf(e)).toBe('INVALID_ID');
    expect(e.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field).toBe('id');
    const big = 'x'.repeat(2 * 1024 * 1024);
    const tooLarge = await failure(() => client.put({ collection: 'faults', id: 'big', data: { big } }));
    expect(tooLarge.code).toBe(Code.InvalidArgument);
    expect(reasonOf(tooLarge)).toBe('DOCUMENT_TOO_LARGE');
    const listed = await client.list({ collection: 'faults' });
    expect(listed.documents).toHaveLength(0);
  });

  it('Redis down: writes fail UNAVAILABLE / BACKEND_UNAVAILABLE, reads go on, writes recover with Redis', async () => {
    const before = await client.put({ collection: 'faults', id: 'r1', data: { v: 1 } });
    await stopChild(redis);
    const e = await failure(() => client.put({ collection: 'faults', id: 'r1', data: { v: 2 } }, { timeoutMs: 15_000 }));
    expect(e.code).toBe(Code.Unavailable);
    expect(reasonOf(e)).toBe('BACKEND_UNAVAILABLE');
    // S3 still answers reads, and the failed write left the document as it was.
    const got = await client.get({ collection: 'faults', id: 'r1' });
    expect(got.document?.data).toEqual({ v: 1 });
    expect(got.document?.etag).toBe(before.document?.etag);
    redis = await redisOn(redisPort);
    let recovered = false;
    for (let i = 0; i < 50 && !recovered; i++) {
      try {
        await client.put({ collection: 'faults', id: 'r1', data: { v: 3 } });
        recovered = true;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    expect(recovered).toBe(true);
    expect((await client.get({ collection: 'faults', id: 'r1' })).document?.data).toEqual({ v: 3 });
  });

  it('S3 down: calls fail UNAVAILABLE / BACKEND_UNAVAILABLE and the server stays up', async () => {
    await client.put({ collection: 'faults', id: 's1', data: { v: 1 } });
    await s3.stop();
    const e = await failure(() => client.get({ collection: 'faults', id: 's1' }, { timeoutMs: 20_000 }));
    expect(e.code).toBe(Code.Unavailable);
    expect(reasonOf(e)).toBe('BACKEND_UNAVAILABLE');
    const w = await failure(() => client.put({ collection: 'faults', id: 's2', data: { v: 1 } }, { timeoutMs: 20_000 }));
    expect(w.code).toBe(Code.Unavailable);
    expect(server.child.exitCode).toBeNull();
  });
});
