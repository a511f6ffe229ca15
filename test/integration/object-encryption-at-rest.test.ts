/**
 * Issue 14, encryption at rest of object data (docs/adr/0016, "Large
 * objects"): two server processes with one keyring on a real, disk-backed S3
 * server (versitygw) and Redis. Raw reads and writes go to the bucket through
 * the S3 ObjectStore adapter, bypassing the servers.
 *   - a one-shot multipart upload round-trips exactly, whole and in ranges across chunk and part boundaries;
 *   - a resumable upload started on server A and continued and finished on server B round-trips exactly;
 *     while it is open (a part sent, a tail spilled) and after, versitygw's storage holds no plaintext marker;
 *   - a flipped byte in stored data → DATA_LOSS / DECRYPTION_FAILED for a read covering it;
 *   - a sealed upload aborted on the other server leaves no multipart upload, data, session or tail.
 */
import { createHash, randomBytes } from 'node:crypto';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code, ConnectError } from '@connectrpc/connect';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { ErrorInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import type { WriteUploadRequestSchema } from '../../server/src/gen/smarterbase/v1/object_service_pb.js';
import { S3BlobStore } from '../../server/src/storage/s3/s3-store.js';
import { S3ObjectStore } from '../../server/src/storage/s3/s3-object-store.js';
import { SEALED_FLAG } from '../../server/src/storage/crypto/encrypting-object-store.js';
import { chunkOffset, sealedSize } from '../../server/src/storage/crypto/sealed-chunks.js';
import { BucketView } from '../harness/object-bucket.js';
import { download, grpcObjectClient, uploadMessages, type ObjectClient } from '../harness/object-client.js';
import { startRedis, type RedisTestServer } from '../harness/redis-server.js';
import type { S3TestServer } from '../harness/s3-server.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';
import { startVersitygw } from '../harness/versitygw.js';
import { filesContaining } from '../harness/files-containing.js';

jest.setTimeout(180_000); // hang guard: a few servers and ~60 MB of transfers

const MiB = 1024 * 1024;
const MARKER = Buffer.from('OBJ-MARKER-5be1c0de-never-in-clear');

let s3: S3TestServer | undefined;
let redis: RedisTestServer | undefined;
let servers: ServerProcess[] = [];
let clients: ObjectClient[] = [];
let rawClient: S3BlobStore | undefined;
let raw: S3ObjectStore;
let dir: string;

/** Random bytes with the marker every 16 KiB. */
function marked(n: number): Buffer {
  const b = randomBytes(n);
  for (let at = 0; at + MARKER.length <= n; at += 16 * 1024) MARKER.copy(b, at);
  return b;
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const mibChunks = (b: Buffer): Buffer[] => Array.from({ length: Math.ceil(b.length / MiB) }, (_, i) => b.subarray(i * MiB, (i + 1) * MiB));

/** The single data key under `_objdata/<collection>/<id>/`. */
async function dataKeyOf(collection: string, id: string): Promise<string> {
  const page = await raw.list({ prefix: `_objdata/${collection}/${id}/`, limit: 10 });
  expect(page.objects).toHaveLength(1);
  return page.objects[0]!.key;
}

async function rawBytes(key: string): Promise<Buffer> {
  const r = await raw.get(key);
  const out: Uint8Array[] = [];
  for await (const c of r!.body) out.push(c);
  return Buffer.concat(out);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sb-objcrypt-'));
  await writeFile(join(dir, 'keyring.json'), JSON.stringify({ primary: 'k1', keys: { k1: Buffer.alloc(32, 0x5a).toString('base64') } }));
  s3 = await startVersitygw('objcrypt');
  redis = await startRedis();
  const env = {
    SB_STORAGE: 's3',
    SB_S3_ENDPOINT: s3.endpoint,
    SB_S3_BUCKET: s3.bucket,
    SB_S3_FORCE_PATH_STYLE: 'true',
    SB_COORDINATION: 'redis',
    SB_REDIS_URL: redis.url,
    SB_ENCRYPTION_KEYRING_FILE: join(dir, 'keyring.json'),
  };
  const started = await Promise.allSettled([0, 1].map(() => startServer(env)));
  servers = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  for (const r of started) if (r.status === 'rejected') throw r.reason;
  clients = servers.map((s) => grpcObjectClient(s.grpcUrl));
  rawClient = new S3BlobStore({
    bucket: s3.bucket,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    accessKeyId: 'test',
    secretAccessKey: 'test',
  });
  raw = new S3ObjectStore({ client: rawClient.client, bucket: s3.bucket });
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await rawClient?.close();
  await redis?.stop();
  await s3?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

it('a one-shot multipart upload round-trips exactly, whole and in ranges; the stored data is sealed and flagged', async () => {
  const body = marked(20 * MiB + 12_345);
  const up = await clients[0]!.upload(uploadMessages({ collection: 'enc', id: 'one', expectedSha256: sha256(body) }, mibChunks(body)));
  expect(up.object).toMatchObject({ sizeBytes: BigInt(body.length), sha256: sha256(body) });
  const whole = await download(clients[1]!, { collection: 'enc', id: 'one' }, true);
  expect(whole).toMatchObject({ bytes: body.length, sizeBytes: body.length, receivedSha256: sha256(body) });
  for (const [offset, length] of [
    [8 * MiB - 10, 20], // across the 8 MiB part boundary of the upload
    [65_536 - 3, 7], // across a chunk boundary
    [3, 1],
    [body.length - 5, 0], // to the end
  ] as const) {
    const got = await download(clients[1]!, { collection: 'enc', id: 'one', offset: BigInt(offset), length: BigInt(length) }, true);
    expect(got.body!.equals(body.subarray(offset, length === 0 ? body.length : offset + length))).toBe(true);
  }
  const key = await dataKeyOf('enc', 'one');
  const head = await raw.head(key);
  expect(head?.size).toBe(sealedSize(body.length));
  expect(head?.metadata[SEALED_FLAG.key]).toBe(SEALED_FLAG.value);
  expect((await rawBytes(key)).includes(MARKER)).toBe(false);
});

it('a resumable upload continued on a second server round-trips; no plaintext in the storage while open or after', async () => {
  const body = marked(17 * MiB + 777);
  const { uploadId } = await clients[0]!.startUpload({ header: { collection: 'enc', id: 'resumed', expectedSha256: sha256(body) } });
  const firstEnd = 9 * MiB + 100; // one 8 MiB part sent, a tail of 1 MiB + 100 spilled
  async function* messages(from: number, to: number, finish: boolean): AsyncGenerator<MessageInitShape<typeof WriteUploadRequestSchema>> {
    const pieces = mibChunks(body.subarray(from, to));
    for (let i = 0; i < pieces.length; i++) {
      const last = finish && i === pieces.length - 1;
      yield i === 0 ? { uploadId, writeOffset: BigInt(from), data: pieces[i], finishWrite: last } : { data: pieces[i], finishWrite: last };
    }
  }
  await clients[0]!.writeUpload(messages(0, firstEnd, false));
  const status = await clients[1]!.queryUploadStatus({ uploadId });
  expect(Number(status.committedSize)).toBe(firstEnd);
  expect(await filesContaining(s3!.dataDir!, MARKER, true)).toEqual([]); // the open part (multipart staging) and the spilled tail
  const done = await clients[1]!.writeUpload(messages(firstEnd, body.length, true));
  expect(done.object).toMatchObject({ sizeBytes: BigInt(body.length), sha256: sha256(body) });
  expect(await download(clients[0]!, { collection: 'enc', id: 'resumed' })).toMatchObject({
    bytes: body.length,
    receivedSha256: sha256(body),
  });
  const range = await download(clients[0]!, { collection: 'enc', id: 'resumed', offset: BigInt(8 * MiB - 1), length: 2n }, true);
  expect(range.body!.equals(body.subarray(8 * MiB - 1, 8 * MiB + 1))).toBe(true);
  // A control object written in clear by the test is found, so the grep does find plaintext where there is some.
  await raw.putSmall('control/clear', Buffer.concat([Buffer.from('CONTROL '), MARKER]));
  expect(await filesContaining(s3!.dataDir!, MARKER, true)).toEqual([`${s3!.bucket}/control/clear`]);
});

it('a flipped byte in stored data → DATA_LOSS / DECRYPTION_FAILED for a read covering it; bytes elsewhere still read', async () => {
  const body = marked(3 * MiB);
  await clients[0]!.upload(uploadMessages({ collection: 'enc', id: 'tamper' }, mibChunks(body)));
  const key = await dataKeyOf('enc', 'tamper');
  const stored = await rawBytes(key);
  stored[chunkOffset(20) + 100]! ^= 0x01; // inside chunk 20: plaintext bytes [20 × 64 KiB, 21 × 64 KiB)
  await raw.putSmall(key, stored, { metadata: { [SEALED_FLAG.key]: SEALED_FLAG.value } });
  const failure = await download(clients[1]!, { collection: 'enc', id: 'tamper' }).catch((e: unknown) => ConnectError.from(e));
  expect(failure).toBeInstanceOf(ConnectError);
  const err = failure as ConnectError;
  expect([err.code, err.findDetails(ErrorInfoSchema)[0]?.reason]).toEqual([Code.DataLoss, 'DECRYPTION_FAILED']);
  const ok = await download(clients[1]!, { collection: 'enc', id: 'tamper', offset: 0n, length: 1000n }, true);
  expect(ok.body!.equals(body.subarray(0, 1000))).toBe(true);
});

it('a sealed upload aborted on the other server leaves no multipart upload, no data and no tail (the extended id reaches S3 as its own)', async () => {
  const body = marked(9 * MiB);
  const { uploadId } = await clients[0]!.startUpload({ header: { collection: 'enc', id: 'aborted' } });
  async function* messages(): AsyncGenerator<MessageInitShape<typeof WriteUploadRequestSchema>> {
    const pieces = mibChunks(body);
    for (let i = 0; i < pieces.length; i++) yield i === 0 ? { uploadId, writeOffset: 0n, data: pieces[i] } : { data: pieces[i] };
  }
  await clients[0]!.writeUpload(messages());
  const bucket = new BucketView(s3!);
  try {
    expect(await bucket.openUploads('_objdata/enc/aborted/')).toHaveLength(1);
    expect((await bucket.keys('_uploads/t/')).filter((k) => k.includes(uploadId))).toHaveLength(1); // the 1 MiB tail, sealed
    await clients[1]!.abortUpload({ uploadId });
    expect(await bucket.openUploads('_objdata/enc/aborted/')).toEqual([]);
    expect(await bucket.keys('_objdata/enc/aborted/')).toEqual([]);
    expect((await bucket.keys('_uploads/')).filter((k) => k.includes(uploadId))).toEqual([]); // session and tail
  } finally {
    bucket.close();
  }
});
