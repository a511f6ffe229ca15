/**
 * Issue 13's bad input (docs/streams.md, "Objects"), through the gRPC port of
 * the embedded default (filesystem storage, local coordination) and of a
 * server on a real S3 server (versitygw): a first message without header, a
 * chunk after finish_write, a stream ending without finish_write, a chunk
 * over SB_OBJECT_CHUNK_MAX_BYTES, ids `..` and `a/b`, a wrong expected_sha256
 * (one PUT and multipart), and a stream the client breaks after a part was
 * sent; and, for contrast, a good multipart upload, its download, listing and delete. Each is refused with its code and reason, and the listing of
 * `objects/` and `_objdata/` (and of open multipart uploads / staged parts)
 * is what it was before.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { ErrorInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import type { UploadRequestSchema } from '../../server/src/gen/smarterbase/v1/object_service_pb.js';
import { BucketView } from '../harness/object-bucket.js';
import { TestBody, download, grpcObjectClient, uploadMessages, type ObjectClient } from '../harness/object-client.js';
import { waitFor } from '../harness/redis-process.js';
import type { S3TestServer } from '../harness/s3-server.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';
import { startVersitygw } from '../harness/versitygw.js';

const MiB = 1024 * 1024;
type Msg = MessageInitShape<typeof UploadRequestSchema>;

jest.setTimeout(120_000);

const header = (id = 'x', extra: Record<string, unknown> = {}): Msg => ({
  kind: { case: 'header', value: { collection: 'bad', id, ...extra } },
});
const data = (n: number, finishWrite = false): Msg => ({ kind: { case: 'data', value: Buffer.alloc(n, 7) }, finishWrite });

async function* stream(msgs: Msg[]): AsyncGenerator<Msg> {
  for (const m of msgs) yield m;
}

/** The cases: messages, and the code and reason they must end with. */
const CASES: [string, Msg[], Code, string][] = [
  ['a first message without header', [data(10, true)], Code.InvalidArgument, 'INVALID_ARGUMENT'],
  ['a chunk after finish_write', [header(), data(10, true), data(10)], Code.FailedPrecondition, 'UPLOAD_FINISHED'],
  ['a stream ending without finish_write', [header(), data(10), data(10)], Code.InvalidArgument, 'INVALID_ARGUMENT'],
  ['a chunk over SB_OBJECT_CHUNK_MAX_BYTES (4 MiB)', [header(), data(4 * MiB + 1, true)], Code.InvalidArgument, 'INVALID_ARGUMENT'],
  ['id ..', [header('..'), data(10, true)], Code.InvalidArgument, 'INVALID_ID'],
  ['id a/b', [header('a/b'), data(10, true)], Code.InvalidArgument, 'INVALID_ID'],
  [
    'a wrong expected_sha256 (one PUT)',
    [header('x', { expectedSha256: 'f'.repeat(64) }), data(10, true)],
    Code.InvalidArgument,
    'CHECKSUM_MISMATCH',
  ],
  [
    'a wrong expected_sha256 (multipart)',
    [header('x', { expectedSha256: 'f'.repeat(64) }), ...Array.from({ length: 10 }, (_, i) => data(MiB, i === 9))],
    Code.InvalidArgument,
    'CHECKSUM_MISMATCH',
  ],
];

async function expectRefused(client: ObjectClient, msgs: Msg[], code: Code, reason: string): Promise<void> {
  const err = await client.upload(stream(msgs)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConnectError);
  const ce = err as ConnectError;
  expect({ code: ce.code, reason: ce.findDetails(ErrorInfoSchema)[0]?.reason }).toEqual({ code, reason });
}

/** A backend under test: its server, and the listing a failed upload must leave unchanged. */
interface Backend {
  server: ServerProcess;
  listing(): Promise<string[]>;
  /** Staged parts / open multipart uploads (must be none when no upload runs). */
  openUploads(): Promise<string[]>;
  stop(): Promise<void>;
}

async function walk(root: string, dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(root, p)));
    else out.push(relative(root, p));
  }
  return out.sort();
}

/** Deleted data due at once and swept every 100 ms, so "the delete removes the data" is seen soon after the delete. */
const NO_GRACE = { SB_OBJECT_GRACE_MS: '0', SB_OBJECT_TRASH_SWEEP_MS: '100' };

async function embedded(): Promise<Backend> {
  const dir = await mkdtemp(join(tmpdir(), 'sb-objects-bad-'));
  const server = await startServer({ SB_STORAGE: 'filesystem', SB_DATA_DIR: dir, ...NO_GRACE });
  return {
    server,
    listing: async () => [...(await walk(dir, join(dir, 'objects'))), ...(await walk(dir, join(dir, '.sb-objects', '_objdata')))],
    openUploads: () => walk(dir, join(dir, '.sb-objects', '.sb-uploads')),
    stop: async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function onS3(): Promise<Backend> {
  const s3: S3TestServer = await startVersitygw('objects-bad');
  const server = await startServer({
    SB_STORAGE: 's3',
    SB_S3_ENDPOINT: s3.endpoint,
    SB_S3_BUCKET: s3.bucket,
    SB_S3_FORCE_PATH_STYLE: 'true',
    ...NO_GRACE,
  });
  const bucket = new BucketView(s3);
  return {
    server,
    listing: async () => [...(await bucket.keys('objects/')), ...(await bucket.keys('_objdata/'))],
    openUploads: () => bucket.openUploads('_objdata/'),
    stop: async () => {
      bucket.close();
      await server.stop();
      await s3.stop();
    },
  };
}

describe.each([
  ['embedded default (filesystem)', embedded],
  ['S3 (versitygw)', onS3],
])('%s: bad uploads leave nothing behind', (_name, open) => {
  let backend: Backend | undefined;
  let client: ObjectClient;
  let before: string[] = [];

  beforeAll(async () => {
    backend = await open();
    client = grpcObjectClient(backend.server.grpcUrl);
    // An existing object: a failed upload of its name must leave it (and its data) as they are.
    await client.upload(uploadMessages({ collection: 'bad', id: 'x' }, [Buffer.from('original')]));
    before = await backend.listing();
    expect(before).toHaveLength(2);
  });

  afterAll(async () => {
    await backend?.stop();
  });

  it.each(CASES)('%s', async (_what, msgs, code, reason) => {
    await expectRefused(client, msgs, code, reason);
    expect(await backend!.listing()).toEqual(before);
    // The server aborts a multipart upload before it answers.
    expect(await backend!.openUploads()).toEqual([]);
  });

  it('a good upload above the part size round-trips, lists, and its delete removes the pointer, and the data at the next trash sweep', async () => {
    const body = new TestBody(9 * MiB + 1);
    const up = await client.upload(uploadMessages({ collection: 'bad', id: 'good' }, body.chunks()));
    expect(up.object).toMatchObject({ sizeBytes: BigInt(9 * MiB + 1), sha256: body.sha256() });
    expect(await download(client, { collection: 'bad', id: 'good' })).toMatchObject({ bytes: 9 * MiB + 1, receivedSha256: body.sha256() });
    expect((await client.listObjects({ collection: 'bad' })).objects.map((o) => [o.id, o.etag])).toEqual([
      ['good', up.object!.etag],
      ['x', expect.any(String)],
    ]);
    expect(await backend!.listing()).toHaveLength(4);
    await expect(client.deleteObject({ collection: 'bad', id: 'good', etag: 'stale' })).rejects.toMatchObject({ code: Code.Aborted });
    expect((await client.deleteObject({ collection: 'bad', id: 'good', etag: up.object!.etag })).deleted).toBe(true);
    expect((await client.deleteObject({ collection: 'bad', id: 'good' })).deleted).toBe(false);
    await expect(client.statObject({ collection: 'bad', id: 'good' })).rejects.toMatchObject({ code: Code.NotFound });
    // Hang guard, not a timing claim: the data goes at a trash sweep (grace 0 here, every 100 ms).
    await waitFor('the trash sweep to delete the data', async () => (await backend!.listing()).length === before.length, 30_000, 100);
    expect(await backend!.listing()).toEqual(before);
  });

  it('a stream the client breaks after a part was sent commits nothing and leaves no upload open', async () => {
    const ctl = new AbortController();
    async function* broken(): AsyncGenerator<Msg> {
      yield header();
      for (let i = 0; i < 12; i++) yield data(MiB);
      // 12 MiB sent: the first 8 MiB part gets stored (seen from outside); then the client goes away.
      await waitFor('a part of the upload to be stored', async () => (await backend!.openUploads()).length > 0, 30_000, 50);
      ctl.abort();
      await new Promise(() => undefined);
    }
    await expect(client.upload(broken(), { signal: ctl.signal })).rejects.toMatchObject({ code: Code.Canceled });
    // The server learns of the cancel asynchronously: wait (a hang guard, not a timing claim) for its cleanup.
    await waitFor('the broken upload to be cleaned up', async () => (await backend!.openUploads()).length === 0, 30_000, 100);
    expect(await backend!.listing()).toEqual(before);
  });
});
