/**
 * Resumable uploads' bad input and the HTTP port (docs/streams.md,
 * "Resumable uploads"), on the embedded default (filesystem storage, local
 * coordination): an offset above the committed size (WriteUpload and
 * WriteAt), data after finish_write and after CompleteUpload, unknown and
 * aborted ids, a chunk over SB_OBJECT_CHUNK_MAX_BYTES, each refused with
 * its code, reason and metadata while the listing of `objects/` and
 * `_objdata/` stays what it was; and StartUpload + WriteAt + CompleteUpload
 * as the README's curl example sends them: Connect JSON over HTTP/1.1 to the
 * HTTP port (and the Connect binary protocol over HTTP/2).
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { ErrorInfoSchema, type ErrorInfo } from '../../server/src/gen/google/rpc/error_details_pb.js';
import type { WriteUploadRequestSchema } from '../../server/src/gen/smarterbase/v1/object_service_pb.js';
import { errorInfoOfConnectJson } from '../harness/error-details.js';
import { connectObjectClient, download, grpcObjectClient, type ObjectClient } from '../harness/object-client.js';
import { waitFor } from '../harness/redis-process.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';

const MiB = 1024 * 1024;
type WriteMsg = MessageInitShape<typeof WriteUploadRequestSchema>;

jest.setTimeout(120_000);

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

async function* stream(msgs: WriteMsg[]): AsyncGenerator<WriteMsg> {
  for (const m of msgs) yield m;
}

/** The code, ErrorInfo reason and metadata a call failed with. */
async function refusal(call: Promise<unknown>): Promise<{ code: Code; reason?: string; metadata?: Record<string, string> }> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConnectError);
  const ce = err as ConnectError;
  const info: ErrorInfo | undefined = ce.findDetails(ErrorInfoSchema)[0];
  return { code: ce.code, reason: info?.reason, metadata: info?.metadata };
}

describe('resumable uploads on the embedded default: bad input and the HTTP port', () => {
  let dir = '';
  let server: ServerProcess | undefined;
  let client: ObjectClient;
  let before: string[] = [];
  const listing = async () => [...(await walk(dir, join(dir, 'objects'))), ...(await walk(dir, join(dir, '.sb-objects', '_objdata')))];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sb-resumable-'));
    // Deleted data due at once and swept every 100 ms (a test below deletes and expects the data gone).
    server = await startServer({ SB_STORAGE: 'filesystem', SB_DATA_DIR: dir, SB_OBJECT_GRACE_MS: '0', SB_OBJECT_TRASH_SWEEP_MS: '100' });
    client = grpcObjectClient(server.grpcUrl);
    // An existing object: a refused call must leave it (and its data) as they are.
    const started = await client.startUpload({ header: { collection: 'bad', id: 'existing' } });
    await client.writeAt({ uploadId: started.uploadId, writeOffset: 0n, data: Buffer.from('original'), finishWrite: true });
    before = await listing();
    expect(before).toHaveLength(2);
  });

  afterAll(async () => {
    await server?.stop();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  /** An open upload of bad/x with `n` bytes written. */
  async function openUpload(n: number): Promise<string> {
    const { uploadId } = await client.startUpload({ header: { collection: 'bad', id: 'x' } });
    if (n > 0) await client.writeAt({ uploadId, writeOffset: 0n, data: Buffer.alloc(n, 1) });
    return uploadId;
  }

  it('an offset above the committed size is FAILED_PRECONDITION / UPLOAD_OFFSET_MISMATCH with the committed size (WriteUpload and WriteAt)', async () => {
    const uploadId = await openUpload(100);
    const expected = {
      code: Code.FailedPrecondition,
      reason: 'UPLOAD_OFFSET_MISMATCH',
      metadata: expect.objectContaining({ committedSize: '100' }),
    };
    expect(await refusal(client.writeAt({ uploadId, writeOffset: 101n, data: Buffer.alloc(10), finishWrite: true }))).toEqual(expected);
    expect(await refusal(client.writeUpload(stream([{ uploadId, writeOffset: 200n, data: Buffer.alloc(10), finishWrite: true }])))).toEqual(
      expected,
    );
    expect(Number((await client.queryUploadStatus({ uploadId })).committedSize)).toBe(100);
    expect(await listing()).toEqual(before);
  });

  it('data after finish_write, and after CompleteUpload, is FAILED_PRECONDITION / UPLOAD_FINISHED', async () => {
    const uploadId = await openUpload(10);
    const finished = { code: Code.FailedPrecondition, reason: 'UPLOAD_FINISHED' };
    expect(
      await refusal(
        client.writeUpload(stream([{ uploadId, writeOffset: 10n, data: Buffer.alloc(5), finishWrite: true }, { data: Buffer.alloc(5) }])),
      ),
    ).toMatchObject(finished);
    expect(await listing()).toEqual(before);
    const done = await client.completeUpload({ uploadId });
    expect(done.object?.sizeBytes).toBe(15n);
    expect(await refusal(client.writeAt({ uploadId, writeOffset: 15n, data: Buffer.alloc(1) }))).toMatchObject(finished);
    expect(await refusal(client.writeUpload(stream([{ uploadId, writeOffset: 0n, data: Buffer.alloc(1) }])))).toMatchObject(finished);
    expect((await client.statObject({ collection: 'bad', id: 'x' })).object?.sizeBytes).toBe(15n);
    await client.deleteObject({ collection: 'bad', id: 'x' });
    // Hang guard, not a timing claim: the data goes at a trash sweep (grace 0 here, every 100 ms).
    await waitFor('the trash sweep to delete the data', async () => (await listing()).length === before.length, 30_000, 100);
    expect(await listing()).toEqual(before);
  });

  it('unknown, malformed and aborted ids are NOT_FOUND / UPLOAD_NOT_FOUND', async () => {
    const notFound = { code: Code.NotFound, reason: 'UPLOAD_NOT_FOUND' };
    const unknown = '0190aaaa-0000-7000-8000-000000000000';
    expect(await refusal(client.queryUploadStatus({ uploadId: unknown }))).toMatchObject(notFound);
    expect(await refusal(client.writeAt({ uploadId: '../../objects/bad/existing', writeOffset: 0n, finishWrite: true }))).toMatchObject(
      notFound,
    );
    const uploadId = await openUpload(10);
    await client.abortUpload({ uploadId });
    expect(await refusal(client.writeAt({ uploadId, writeOffset: 10n, data: Buffer.alloc(1), finishWrite: true }))).toMatchObject(notFound);
    expect(await refusal(client.completeUpload({ uploadId }))).toMatchObject(notFound);
    expect(await refusal(client.queryUploadStatus({ uploadId }))).toMatchObject(notFound);
    expect(await listing()).toEqual(before);
  });

  it('a chunk over SB_OBJECT_CHUNK_MAX_BYTES (4 MiB) is INVALID_ARGUMENT and stores nothing', async () => {
    const uploadId = await openUpload(0);
    const big = Buffer.alloc(4 * MiB + 1, 2);
    expect(await refusal(client.writeAt({ uploadId, writeOffset: 0n, data: big }))).toMatchObject({ code: Code.InvalidArgument });
    expect(await refusal(client.writeUpload(stream([{ uploadId, writeOffset: 0n, data: big, finishWrite: true }])))).toMatchObject({
      code: Code.InvalidArgument,
    });
    expect(Number((await client.queryUploadStatus({ uploadId })).committedSize)).toBe(0);
    expect(await listing()).toEqual(before);
  });

  it('StartUpload + WriteAt + CompleteUpload in Connect JSON over HTTP/1.1 (the README curl example), and Connect binary over HTTP/2', async () => {
    const base = `http://127.0.0.1:${server!.httpPort}/smarterbase.v1.ObjectService`;
    const post = async (method: string, body: unknown) => {
      const res = await fetch(`${base}/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };
    const started = await post('StartUpload', { header: { collection: 'web', id: 'hello.txt', contentType: 'text/plain' } });
    expect(started.status).toBe(200);
    const uploadId = started.json.uploadId as string;
    const part1 = await post('WriteAt', { uploadId, writeOffset: '0', data: Buffer.from('hello ').toString('base64') });
    expect(part1).toEqual({ status: 200, json: { committedSize: '6' } });
    const skipped = await post('WriteAt', { uploadId, writeOffset: '9', data: Buffer.from('x').toString('base64') });
    expect(skipped.status).toBe(400);
    expect(errorInfoOfConnectJson(skipped.json as never)?.reason).toBe('UPLOAD_OFFSET_MISMATCH');
    const part2 = await post('WriteAt', { uploadId, writeOffset: '6', data: Buffer.from('world').toString('base64') });
    expect(part2.json.committedSize).toBe('11');
    const done = await post('CompleteUpload', { uploadId });
    expect(done.status).toBe(200);
    expect(done.json.object).toMatchObject({ collection: 'web', id: 'hello.txt', sizeBytes: '11', contentType: 'text/plain' });
    expect(await download(client, { collection: 'web', id: 'hello.txt' }, true)).toMatchObject({ body: Buffer.from('hello world') });

    const binary = connectObjectClient(`http://127.0.0.1:${server!.httpPort}`);
    const b = await binary.startUpload({ header: { collection: 'web', id: 'bin' } });
    const w = await binary.writeAt({ uploadId: b.uploadId, writeOffset: 0n, data: Buffer.alloc(3 * MiB, 9), finishWrite: true });
    expect(w).toMatchObject({ complete: true, committedSize: BigInt(3 * MiB) });
    expect((await download(client, { collection: 'web', id: 'bin' })).bytes).toBe(3 * MiB);
  });
});
