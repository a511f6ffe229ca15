/**
 * Issue 13's race (docs/adr/0013 §4): 16 concurrent create-only uploads of one
 * name through 3 server processes sharing a real S3 server and Redis. Every
 * upload sends its header, then waits until all 16 streams are open and a
 * moment more, so every advisory precheck has passed before any byte moves:
 * the pointer's conditional PUT alone decides. Exactly one answers OK and 15
 * ALREADY_EXISTS / OBJECT_ALREADY_EXISTS; the object's bytes are the winner's;
 * exactly one key is left under `_objdata/<c>/<id>/` and no multipart upload
 * is open. Below and above the part size (8 MiB), on each S3 implementation
 * of SB_TEST_S3 (default gofakes3: lock mode, versitygw: native conditions).
 */
import { createHash, randomBytes } from 'node:crypto';
import { Code, ConnectError } from '@connectrpc/connect';
import { startRedis, type RedisTestServer } from '../harness/redis-server.js';
import type { S3TestServer } from '../harness/s3-server.js';
import { selectedS3Implementations } from '../harness/s3-implementations.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';
import { BucketView } from '../harness/object-bucket.js';
import { download, grpcObjectClient, type ObjectClient } from '../harness/object-client.js';
import type { UploadRequestSchema } from '../../server/src/gen/smarterbase/v1/object_service_pb.js';
import type { MessageInitShape } from '@bufbuild/protobuf';

const UPLOADERS = 16;
const MiB = 1024 * 1024;

jest.setTimeout(180_000);

describe.each(selectedS3Implementations())('$name $version: 16 create-only uploads of one name through 3 servers', (impl) => {
  let s3: S3TestServer | undefined;
  let redis: RedisTestServer | undefined;
  let servers: ServerProcess[] = [];
  let bucket: BucketView | undefined;
  let clients: ObjectClient[] = [];

  beforeAll(async () => {
    s3 = await impl.start('objects-race');
    redis = await startRedis();
    const env = {
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
    clients = servers.map((s) => grpcObjectClient(s.grpcUrl));
    bucket = new BucketView(s3);
    const mode = servers[0]!.output().match(/"conditional":"(\w+)"/)?.[1];
    console.log(`${impl.name}: pointer conditions in ${mode} mode`);
  });

  afterAll(async () => {
    bucket?.close();
    await Promise.all(servers.map((s) => s.stop()));
    await redis?.stop();
    await s3?.stop();
  });

  it.each([
    ['below the part size (one PUT)', 'small', 1 * MiB + 7],
    ['above the part size (multipart)', 'large', 9 * MiB + 7],
  ])('%s: exactly one wins', async (_what, id, size) => {
    const bodies = Array.from({ length: UPLOADERS }, () => randomBytes(size));
    let opened = 0;
    let release!: () => void;
    const allOpen = new Promise<void>((r) => (release = r));
    async function* messages(i: number): AsyncGenerator<MessageInitShape<typeof UploadRequestSchema>> {
      yield { kind: { case: 'header', value: { collection: 'race', id, precondition: { condition: { case: 'exists', value: false } } } } };
      if (++opened === UPLOADERS) setTimeout(release, 500);
      await allOpen;
      const b = bodies[i]!;
      for (let at = 0; at < b.length; at += MiB)
        yield { kind: { case: 'data', value: b.subarray(at, at + MiB) }, finishWrite: at + MiB >= b.length };
    }
    const results = await Promise.allSettled(bodies.map((_, i) => clients[i % clients.length]!.upload(messages(i))));

    const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(winners).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'fulfilled') continue;
      expect(r.reason).toBeInstanceOf(ConnectError);
      expect((r.reason as ConnectError).code).toBe(Code.AlreadyExists);
    }
    const winner = bodies[winners[0]!]!;
    const sha = createHash('sha256').update(winner).digest('hex');
    for (const c of clients)
      expect(await download(c, { collection: 'race', id })).toMatchObject({ bytes: size, receivedSha256: sha, sha256: sha });
    expect(await bucket!.keys(`_objdata/race/${id}/`)).toHaveLength(1);
    expect(await bucket!.keys(`objects/race/${id}`)).toEqual([`objects/race/${id}`]);
    expect(await bucket!.openUploads('_objdata/')).toEqual([]);
  });
});
