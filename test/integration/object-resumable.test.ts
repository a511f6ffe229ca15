/**
 * Issue 13's resumable-upload test (docs/streams.md, "Resumable uploads"):
 * three server processes on one real S3 server (versitygw) and Redis, each
 * reached through its own TCP proxy (test/harness/fault-proxy.ts). A 300 MB
 * upload streams through WriteUpload; at 30 %, 60 % and 90 % of the bytes the
 * test closes the sockets of the proxy in use (the server sees the
 * connection die, not a cancel), asks QueryUploadStatus on the next server
 * (the committed size only grows and is never above the bytes the client had
 * sent), and continues on that server from the committed size. The finished
 * object, downloaded through yet another server, has exactly the bytes and
 * SHA-256 sent. Then an upload aborted midway leaves no multipart upload
 * (raw ListMultipartUploads), no `_objdata/` key and no `_uploads/` key, and
 * an abandoned upload on a server with a 2 s SB_UPLOAD_MAX_AGE_MS is
 * removed by the sweep the same way.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Code, ConnectError } from '@connectrpc/connect';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { ErrorInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import type { WriteUploadRequestSchema } from '../../server/src/gen/smarterbase/v1/object_service_pb.js';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.js';
import { BucketView } from '../harness/object-bucket.js';
import { download, grpcObjectClient, type ObjectClient } from '../harness/object-client.js';
import { waitFor } from '../harness/redis-process.js';
import { startRedis, type RedisTestServer } from '../harness/redis-server.js';
import type { S3TestServer } from '../harness/s3-server.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';
import { startVersitygw } from '../harness/versitygw.js';

const MiB = 1024 * 1024;
const SIZE = Number(process.env.OBJECT_RESUMABLE_BYTES ?? 300_000_000);
type WriteMsg = MessageInitShape<typeof WriteUploadRequestSchema>;

jest.setTimeout(600_000);

/** A deterministic body: 1 MiB blocks of one random block, each stamped with its number (no two equal). */
class Body {
  private readonly block = randomBytes(MiB);
  readonly sha256: string;
  constructor(readonly size: number) {
    const h = createHash('sha256');
    for (const p of this.pieces(0)) h.update(p);
    this.sha256 = h.digest('hex');
  }

  /** The bytes from `offset` to the end, cut at MiB boundaries (the first piece may be shorter). */
  *pieces(offset: number): Generator<Buffer> {
    for (let at = offset; at < this.size;) {
      const n = Math.floor(at / MiB);
      const chunk = Buffer.from(this.block.subarray(0, Math.min(MiB, this.size - n * MiB)));
      if (chunk.length >= 8) chunk.writeBigUInt64BE(BigInt(n), 0);
      const piece = chunk.subarray(at - n * MiB);
      yield piece;
      at += piece.length;
    }
  }
}

const reasonOf = (e: unknown): string | undefined => (e instanceof ConnectError ? e.findDetails(ErrorInfoSchema)[0]?.reason : undefined);

describe('resumable uploads through 3 servers on S3 (versitygw) + Redis, each behind a TCP proxy', () => {
  let s3: S3TestServer | undefined;
  let redis: RedisTestServer | undefined;
  let servers: ServerProcess[] = [];
  let proxies: FaultProxy[] = [];
  let clients: ObjectClient[] = [];
  let bucket: BucketView | undefined;
  let env: Record<string, string> = {};

  beforeAll(async () => {
    s3 = await startVersitygw('objects-resumable');
    redis = await startRedis();
    env = {
      SB_STORAGE: 's3',
      SB_S3_ENDPOINT: s3.endpoint,
      SB_S3_BUCKET: s3.bucket,
      SB_S3_FORCE_PATH_STYLE: 'true',
      SB_COORDINATION: 'redis',
      SB_REDIS_URL: redis.url,
    };
    const started = await Promise.allSettled([0, 1, 2].map(() => startServer(env)));
    servers = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    proxies = await Promise.all(servers.map((s) => startFaultProxy(s.grpcPort)));
    clients = proxies.map((p) => grpcObjectClient(`http://127.0.0.1:${p.port}`));
    bucket = new BucketView(s3);
  });

  afterAll(async () => {
    bucket?.close();
    await Promise.all(proxies.map((p) => p.close()));
    await Promise.all(servers.map((s) => s.stop()));
    await redis?.stop();
    await s3?.stop();
  });

  it(`${SIZE} bytes, connection killed at 30 %, 60 % and 90 %, resumed on the next server each time: the object is exact`, async () => {
    const t0 = Date.now();
    const body = new Body(SIZE);
    const cuts = [0.3, 0.6, 0.9].map((f) => Math.floor(SIZE * f));
    const started = await clients[0]!.startUpload({
      header: { collection: 'resume', id: 'big', expectedSize: BigInt(SIZE), expectedSha256: body.sha256 },
    });
    const uploadId = started.uploadId;
    let server = 0;
    let offset = 0;
    let sentEnd = 0;
    const committed: number[] = [];
    let result;
    for (let leg = 0; result === undefined;) {
      const cutAt = cuts[leg];
      const proxy = proxies[server]!;
      async function* messages(from: number): AsyncGenerator<WriteMsg> {
        let first = true;
        for (const piece of body.pieces(from)) {
          if (cutAt !== undefined && from >= cutAt) {
            proxy.cut(); // the server loses the connection mid-stream
            throw new Error('cut');
          }
          const last = from + piece.length === SIZE;
          yield first ? { uploadId, writeOffset: BigInt(from), data: piece, finishWrite: last } : { data: piece, finishWrite: last };
          first = false;
          from += piece.length;
          sentEnd = Math.max(sentEnd, from);
        }
      }
      try {
        const res = await clients[server]!.writeUpload(messages(offset));
        expect(leg).toBe(cuts.length);
        result = res;
        break;
      } catch (e) {
        // A cut, or the previous writer still holding the lease (ABORTED UPLOAD_BUSY): ask the next server and go on there.
        if (reasonOf(e) === 'UPLOAD_BUSY') await new Promise((r) => setTimeout(r, 500));
        else if (cutAt === undefined) throw e;
        else leg++;
      }
      server = (server + 1) % servers.length;
      const status = await clients[server]!.queryUploadStatus({ uploadId });
      const size = Number(status.committedSize);
      expect(status.complete).toBe(false);
      expect(size).toBeLessThanOrEqual(sentEnd);
      if (committed.length > 0) expect(size).toBeGreaterThanOrEqual(committed[committed.length - 1]!);
      committed.push(size);
      offset = size;
    }
    console.log(`committed sizes seen after the cuts: ${committed.join(', ')} of ${SIZE}; ${Date.now() - t0} ms`);
    expect(committed.length).toBeGreaterThanOrEqual(cuts.length);
    expect(result.complete).toBe(true);
    expect(Number(result.committedSize)).toBe(SIZE);
    expect(result.object).toMatchObject({ collection: 'resume', id: 'big', sizeBytes: BigInt(SIZE), sha256: body.sha256, version: 1n });
    const other = clients[(server + 1) % clients.length]!;
    expect(await download(other, { collection: 'resume', id: 'big' })).toMatchObject({
      bytes: SIZE,
      sizeBytes: SIZE,
      sha256: body.sha256,
      receivedSha256: body.sha256,
    });
    // Any server answers the completed status, and a retried CompleteUpload is the same object.
    for (const c of clients) expect((await c.queryUploadStatus({ uploadId })).object?.etag).toBe(result.object!.etag);
    expect((await clients[2]!.completeUpload({ uploadId })).object?.etag).toBe(result.object!.etag);
    expect(await bucket!.keys('_objdata/resume/big/')).toEqual([`_objdata/resume/big/${uploadId}`]);
    expect(await bucket!.openUploads('_objdata/')).toEqual([]);
  });

  it('an upload aborted midway (on another server) leaves no multipart upload, no _objdata/ and no _uploads/ key', async () => {
    const body = new Body(20 * MiB + 5);
    const { uploadId } = await clients[0]!.startUpload({ header: { collection: 'resume', id: 'aborted' } });
    async function* messages(): AsyncGenerator<WriteMsg> {
      let first = true;
      for (const piece of body.pieces(0)) {
        yield first ? { uploadId, writeOffset: 0n, data: piece } : { data: piece };
        first = false;
      }
    }
    const written = await clients[1]!.writeUpload(messages());
    expect(Number(written.committedSize)).toBe(body.size);
    expect(await bucket!.openUploads('_objdata/resume/aborted/')).toHaveLength(1);
    expect((await bucket!.keys('_uploads/')).filter((k) => k.includes(uploadId)).length).toBeGreaterThan(0);
    await clients[2]!.abortUpload({ uploadId });
    expect(await bucket!.openUploads('_objdata/')).toEqual([]);
    expect(await bucket!.keys('_objdata/resume/aborted/')).toEqual([]);
    expect((await bucket!.keys('_uploads/')).filter((k) => k.includes(uploadId))).toEqual([]);
    const err = await clients[0]!.queryUploadStatus({ uploadId }).catch((e: unknown) => e);
    expect([(err as ConnectError).code, reasonOf(err)]).toEqual([Code.NotFound, 'UPLOAD_NOT_FOUND']);
  });

  it('an abandoned upload is aborted by the sweep once SB_UPLOAD_MAX_AGE_MS has passed', async () => {
    // 15 s: the three writes below must all land before the upload ages out (under CI load they took over 2 s).
    const short = await startServer({ ...env, SB_UPLOAD_MAX_AGE_MS: '15000', SB_UPLOAD_SWEEP_MS: '200' });
    try {
      const client = grpcObjectClient(short.grpcUrl);
      const body = new Body(9 * MiB);
      const { uploadId } = await client.startUpload({ header: { collection: 'resume', id: 'abandoned' } });
      await client.writeAt({ uploadId, writeOffset: 0n, data: Buffer.concat([...body.pieces(0)].slice(0, 4)) });
      await client.writeAt({ uploadId, writeOffset: BigInt(4 * MiB), data: Buffer.concat([...body.pieces(4 * MiB)].slice(0, 4)) });
      await client.writeAt({ uploadId, writeOffset: BigInt(8 * MiB), data: Buffer.concat([...body.pieces(8 * MiB)]) });
      // One 8 MiB part stored, the last 1 MiB as a tail; then the client goes away.
      expect(await bucket!.openUploads('_objdata/resume/abandoned/')).toHaveLength(1);
      // Hang guard, not a timing claim: the sweep (every 200 ms, on this server) must get to it after the 15 s age.
      await waitFor(
        'the sweep to abort the abandoned upload',
        async () =>
          (await bucket!.openUploads('_objdata/resume/abandoned/')).length === 0 &&
          (await bucket!.keys('_uploads/')).every((k) => !k.includes(uploadId)),
        90_000,
        250,
      );
      expect(await bucket!.keys('_objdata/resume/abandoned/')).toEqual([]);
      const err = await client.queryUploadStatus({ uploadId }).catch((e: unknown) => e);
      expect(reasonOf(err)).toBe('UPLOAD_NOT_FOUND');
    } finally {
      await short.stop();
    }
  });
});
