/**
 * The resumable-upload engine (server/src/objects/resumable) against a real S3
 * server (versitygw, posix backend) and a real Redis coordinator, with three
 * engine instances standing for three server processes (each its own S3
 * client, Redis connection and running hashes): a 60 MB upload written in three
 * writes by three instances, the first two ending mid-part, is exact; an abort
 * leaves no multipart upload on the S3 server (listed with the raw SDK) and no
 * `_uploads/` or `_objdata/` key.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { RedisCoordinator } from '../../server/src/coordination/redis/redis-coordinator.js';
import { isDbError } from '../../server/src/errors/db-error.js';
import { ResumableUploads } from '../../server/src/objects/resumable/resumable-uploads.js';
import type { UploadHeader } from '../../server/src/objects/resumable/upload-session.js';
import { S3ObjectStore } from '../../server/src/storage/s3/s3-object-store.js';
import { S3BlobStore } from '../../server/src/storage/s3/s3-store.js';
import { startRedis, type RedisTestServer } from '../harness/redis-server.js';
import type { S3TestServer } from '../harness/s3-server.js';
import { startVersitygw } from '../harness/versitygw.js';
import { waitFor } from '../harness/redis-process.js';
import type { Coordinator } from '../../server/src/coordination/coordinator.js';
import type { ObjectStore } from '../../server/src/storage/objects/object-store.js';
import { CrashPoints } from '../../server/src/objects/resumable/resumable-test-kit.js';
import { ListPartsCommand } from '@aws-sdk/client-s3';

const MiB = 1024 * 1024;
/** The part size: S3's minimum, so 60 MB makes 12 parts. */
const PART = 5 * MiB;

/** What the test's commit returns: the pointer it wrote. */
interface Pointer {
  readonly dataKey: string;
  readonly size: number;
  readonly sha256: string;
}

/** One "process": its own S3 client, Redis connection and engine instance. */
interface Instance {
  readonly engine: ResumableUploads<Pointer>;
  readonly blobs: S3BlobStore;
  readonly objects: S3ObjectStore;
  readonly coordinator: RedisCoordinator;
  close(): Promise<void>;
}

let s3: S3TestServer;
let redis: RedisTestServer;
let raw: S3Client;
const instances: Instance[] = [];

beforeAll(async () => {
  [s3, redis] = await Promise.all([startVersitygw('resumable'), startRedis()]);
  raw = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}, 60_000);

afterAll(async () => {
  await Promise.all(instances.map((i) => i.close()));
  raw?.destroy();
  await Promise.all([s3?.stop(), redis?.stop()]);
});

/** How an instance is made: `partitioned` drops its lease renewals (a paused or cut-off process); `crashes` wraps its ObjectStore. */
interface InstanceOptions {
  readonly partitioned?: boolean;
  readonly crashes?: CrashPoints;
  readonly leaseMs?: number;
}

async function instance(name: string, options: InstanceOptions = {}): Promise<Instance> {
  const blobs = new S3BlobStore({
    bucket: s3.bucket,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    accessKeyId: 'test',
    secretAccessKey: 'test',
  });
  const s3objects = new S3ObjectStore({ client: blobs.client, bucket: s3.bucket });
  const objects = options.crashes === undefined ? s3objects : options.crashes.wrap<ObjectStore>(s3objects, 'objects');
  const redisCoordinator = await RedisCoordinator.connect({ url: redis.url });
  const coordinator: Coordinator =
    options.partitioned === true
      ? new Proxy(redisCoordinator, {
          get: (t, p, r) => (p === 'renewLease' ? async () => undefined : (Reflect.get(t, p, r) as unknown)),
        })
      : redisCoordinator;
  /** A pointer at objects/<c>/<id>: create-only, idempotent for one data key (a retried commit). */
  const commit = async (header: UploadHeader, dataKey: string, size: number, sha256: string): Promise<Pointer> => {
    const key = `objects/${header.collection}/${header.id}`;
    const pointer = { dataKey, size, sha256 };
    const current = await blobs.get(key);
    if (current !== undefined) {
      const existing = JSON.parse(Buffer.from(current.body).toString('utf8')) as Pointer;
      if (existing.dataKey === dataKey) return existing;
    }
    await blobs.put(key, Buffer.from(JSON.stringify(pointer)), { ifNoneMatch: true });
    return pointer;
  };
  const engine = new ResumableUploads<Pointer>({
    objects,
    blobs,
    coordinator,
    commit,
    holder: name,
    settings: { partSize: PART, busyWaitMs: 500, leaseMs: options.leaseMs ?? 30_000 },
  });
  const made = {
    engine,
    blobs,
    objects: s3objects,
    coordinator: redisCoordinator,
    close: async () => {
      await redisCoordinator.close();
      await blobs.close();
    },
  };
  instances.push(made);
  return made;
}

async function keys(prefix: string): Promise<string[]> {
  const out = await raw.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key as string);
}

async function multipartUploads(prefix = ''): Promise<string[]> {
  const out = await raw.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: prefix }));
  return (out.Uploads ?? []).map((u) => `${u.Key} ${u.UploadId}`);
}

function chunks(bytes: Buffer, from: number, to: number, size = MiB): Buffer[] {
  const out: Buffer[] = [];
  for (let at = from; at < to; at += size) out.push(bytes.subarray(at, Math.min(at + size, to)));
  return out;
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('resumable uploads on versitygw + Redis', () => {
  it('60 MB in three writes by three instances, the first two ended mid-part: exact bytes, SHA-256 equal', async () => {
    const [a, b, c] = [await instance('a'), await instance('b'), await instance('c')];
    const data = randomBytes(60 * MiB + 12_345);
    const cut1 = 17 * MiB + 333;
    const cut2 = 41 * MiB + 77;
    const { uploadId, partSize } = await a.engine.start({ collection: 'files', id: 'big.bin', precondition: { exists: false } });
    expect(partSize).toBe(PART);
    const seen: number[] = [];
    seen.push((await a.engine.write(uploadId, 0, chunks(data, 0, cut1))).committedSize);
    seen.push((await c.engine.status(uploadId)).committedSize);
    // The second write resends a little below the committed size, as a client with a stale status would.
    seen.push((await b.engine.write(uploadId, cut1 - 1000, chunks(data, cut1 - 1000, cut2))).committedSize);
    seen.push((await a.engine.status(uploadId)).committedSize);
    const out = await c.engine.write(uploadId, cut2, chunks(data, cut2, data.length), { finishWrite: true });
    expect(seen).toEqual([cut1, cut1, cut2, cut2]);
    expect(out.completed).toMatchObject({ size: data.length, sha256: sha(data) });
    const pointer = out.completed!.result;
    const reader = await b.objects.get(pointer.dataKey);
    const back: Buffer[] = [];
    for await (const chunk of reader!.body) back.push(Buffer.from(chunk));
    const body = Buffer.concat(back);
    expect(body.length).toBe(data.length);
    expect(sha(body)).toBe(sha(data));
    expect(body.equals(data)).toBe(true);
    expect(await b.engine.status(uploadId)).toMatchObject({ complete: true, committedSize: data.length });
    expect(await multipartUploads()).toEqual([]);
    expect(await keys('_uploads/t/')).toEqual([]);
    // A retried CompleteUpload on another instance answers the recorded outcome.
    expect((await a.engine.complete(uploadId)).result).toEqual(pointer);
  }, 240_000);

  it('one writer at a time across instances (Redis lease): a second is UPLOAD_BUSY while the first streams', async () => {
    const [a, b] = [await instance('a2'), await instance('b2')];
    const { uploadId } = await a.engine.start({ collection: 'files', id: 'busy.bin' });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    async function* slow(): AsyncGenerator<Uint8Array> {
      yield Buffer.alloc(1000, 1);
      await held;
    }
    const first = a.engine.write(uploadId, 0, slow());
    await new Promise((r) => setTimeout(r, 200));
    const err = await b.engine.write(uploadId, 0, [Buffer.alloc(10)]).catch((e: unknown) => e);
    expect(isDbError(err, 'UPLOAD_BUSY')).toBe(true);
    release();
    expect((await first).committedSize).toBe(1000);
    await b.engine.abort(uploadId);
  }, 60_000);

  it('takeover across instances: a writer cut off from Redis loses its lease, its late part lands on S3 and is never referenced', async () => {
    const crashes = new CrashPoints();
    const a = await instance('a4', { partitioned: true, crashes, leaseMs: 1500 });
    const b = await instance('b4', { leaseMs: 1500 });
    const good = randomBytes(PART + MiB);
    const garbage = randomBytes(PART);
    const { uploadId } = await a.engine.start({ collection: 'files', id: 'takeover.bin' });
    const gate = crashes.gate('objects.putPart');
    const first = a.engine.write(uploadId, 0, chunks(garbage, 0, PART)).catch((e: unknown) => e);
    await gate.reached;
    // Hang guard only: the lease lapses after 1.5 s without renewals.
    await waitFor('the lease to lapse', async () => (await b.coordinator.leaseInfo(`upload:${uploadId}`)) === undefined, 30_000);
    expect((await b.engine.write(uploadId, 0, chunks(good, 0, good.length))).committedSize).toBe(good.length);
    gate.open();
    expect(isDbError(await first, 'UPLOAD_BUSY')).toBe(true);
    const [upload] = await multipartUploads('_objdata/files/takeover.bin/');
    const [key, id] = upload!.split(' ');
    const listed = await raw.send(new ListPartsCommand({ Bucket: s3.bucket, Key: key, UploadId: id }));
    expect((listed.Parts ?? []).map((p) => p.PartNumber)).toEqual([1, 65]);
    const done = await b.engine.complete(uploadId);
    expect(done).toMatchObject({ size: good.length, sha256: sha(good) });
    const reader = await b.objects.get(done.result.dataKey);
    const back: Buffer[] = [];
    for await (const chunk of reader!.body) back.push(Buffer.from(chunk));
    expect(Buffer.concat(back).equals(good)).toBe(true);
  }, 120_000);

  it('abort leaves no multipart upload on the S3 server and no _uploads/ or _objdata/ key', async () => {
    const [a, b] = [await instance('a3'), await instance('b3')];
    const data = randomBytes(3 * PART + 4321);
    const { uploadId } = await a.engine.start({ collection: 'files', id: 'aborted.bin' });
    await a.engine.write(uploadId, 0, chunks(data, 0, 2 * PART + 100));
    await b.engine.write(uploadId, 2 * PART + 100, chunks(data, 2 * PART + 100, data.length - 10));
    expect(await multipartUploads('_objdata/files/aborted.bin/')).toHaveLength(1);
    expect(await keys(`_uploads/t/${uploadId}.`)).toHaveLength(1);
    await b.engine.abort(uploadId);
    expect(await multipartUploads('_objdata/files/aborted.bin/')).toEqual([]);
    expect(await keys(`_uploads/s/${uploadId}`)).toEqual([]);
    expect(await keys(`_uploads/t/${uploadId}.`)).toEqual([]);
    expect(await keys('_objdata/files/aborted.bin/')).toEqual([]);
    const err = await a.engine.status(uploadId).catch((e: unknown) => e);
    expect(isDbError(err, 'UPLOAD_NOT_FOUND')).toBe(true);
  }, 120_000);
});
