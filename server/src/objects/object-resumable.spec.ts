import { createHash } from 'node:crypto';
import { systemClock } from '../common/clock.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { MemoryObjectStore } from '../storage/objects/memory/memory-object-store.js';
import { staticTokenKeys } from '../tokens/token-keys.js';
import type { DownloadItem, UploadWriteMessage } from '../api/object-api.js';
import { ObjectEngine } from './object-engine.js';
import { ObjectPointers } from './object-pointers.js';
import { objectCommit } from './object-resumable.js';

const ctx = () => ({ signal: new AbortController().signal });
/** The part size: S3's (and the memory store's) 5 MiB minimum. */
const P = 5 * 1024 * 1024;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const bytes = (n: number, seed = 1) => {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed + (i >> 12)) & 0xff;
  return b;
};

function setup() {
  const store = new MemoryBlobStore();
  const objects = new MemoryObjectStore();
  const engine = new ObjectEngine({
    store,
    objects,
    clock: systemClock,
    tokenKeys: staticTokenKeys('s'),
    limits: { partBytes: P, chunkMaxBytes: 2 * P, maxBytes: 64 * P },
    resumable: { busyWaitMs: 200, leaseMs: 2_000 },
    garbage: { graceMs: 0 },
  });
  /** Every key under objects/ and _objdata/ (what a refused call must leave unchanged). */
  const keys = async (): Promise<string[]> => [
    ...(await store.list({ prefix: 'objects/', limit: 1000 })).keys,
    ...(await objects.list({ prefix: '_objdata/', limit: 1000 })).objects.map((o) => o.key),
  ];
  const read = async (id: string) => {
    const out: Uint8Array[] = [];
    for await (const i of engine.download(ctx(), { collection: 'c', id }) as AsyncIterable<DownloadItem>)
      if (i.kind === 'data') out.push(i.data);
    return Buffer.concat(out);
  };
  return { store, objects, engine, keys, read };
}

async function* stream(msgs: UploadWriteMessage[]): AsyncGenerator<UploadWriteMessage> {
  for (const m of msgs) yield m;
}

describe('ObjectEngine resumable uploads', () => {
  test('a streamed write in three messages with finish_write commits the object under its own data key; a retried CompleteUpload answers the same', async () => {
    const { engine, keys, read } = setup();
    const body = bytes(3 * P + 100);
    const started = await engine.startUpload(ctx(), { collection: 'c', id: 'x', contentType: 'text/plain', metadata: { a: 'b' } });
    expect(started.partSizeBytes).toBe(P);
    const uploadId = started.uploadId;
    const out = await engine.writeUpload(
      ctx(),
      stream([
        { uploadId, writeOffset: 0, data: body.subarray(0, 2 * P), finishWrite: false },
        { uploadId: '', writeOffset: 0, data: body.subarray(2 * P, 3 * P), finishWrite: false },
        { uploadId: '', writeOffset: 3 * P, data: body.subarray(3 * P), finishWrite: true },
      ]),
    );
    expect(out).toMatchObject({ committedSize: body.length, complete: true, object: { sizeBytes: body.length, sha256: sha(body) } });
    expect(out.object).toMatchObject({ contentType: 'text/plain', metadata: { a: 'b' }, version: 1 });
    expect(sha(await read('x'))).toBe(sha(body));
    expect(await engine.stat(ctx(), 'c', 'x')).toEqual(out.object);
    expect(await engine.completeUpload(ctx(), uploadId, {})).toEqual(out.object);
    const status = await engine.uploadStatus(ctx(), uploadId);
    expect(status).toMatchObject({ committedSize: body.length, complete: true, object: out.object, partSizeBytes: P });
    expect(await keys()).toEqual(['objects/c/x', `_objdata/c/x/${uploadId}`]);
  });

  test('WriteAt: resends below the committed size are skipped, an offset above it is UPLOAD_OFFSET_MISMATCH, finish_write on the last chunk completes', async () => {
    const { engine, read, keys } = setup();
    const body = bytes(2 * P + 10, 7);
    const { uploadId } = await engine.startUpload(ctx(), { collection: 'c', id: 'y', expectedSize: body.length });
    expect(await engine.writeAt(ctx(), { uploadId, writeOffset: 0, data: body.subarray(0, P + 5), finishWrite: false })).toEqual({
      committedSize: P + 5,
      complete: false,
    });
    await expect(
      engine.writeAt(ctx(), { uploadId, writeOffset: P + 6, data: body.subarray(P + 6), finishWrite: true }),
    ).rejects.toMatchObject({
      kind: 'failed_precondition',
      reason: 'UPLOAD_OFFSET_MISMATCH',
      metadata: { committedSize: String(P + 5) },
    });
    expect(await keys()).toEqual([]);
    const done = await engine.writeAt(ctx(), { uploadId, writeOffset: 100, data: body.subarray(100), finishWrite: true });
    expect(done).toMatchObject({ committedSize: body.length, complete: true, object: { sha256: sha(body) } });
    expect(sha(await read('y'))).toBe(sha(body));
    await expect(engine.writeAt(ctx(), { uploadId, writeOffset: body.length, data: bytes(1), finishWrite: false })).rejects.toMatchObject({
      reason: 'UPLOAD_FINISHED',
    });
  });

  test('refusals leave objects/ and _objdata/ unchanged: chunk over the max, data after finish_write, unknown and aborted ids, a bad header', async () => {
    const { engine, keys } = setup();
    const { uploadId } = await engine.startUpload(ctx(), { collection: 'c', id: 'z' });
    await expect(engine.writeAt(ctx(), { uploadId, writeOffset: 0, data: bytes(2 * P + 1), finishWrite: false })).rejects.toMatchObject({
      kind: 'invalid',
      field: 'data',
    });
    await expect(
      engine.writeUpload(ctx(), stream([{ uploadId, writeOffset: 0, data: bytes(2 * P + 1), finishWrite: true }])),
    ).rejects.toMatchObject({ kind: 'invalid', field: 'data' });
    await expect(
      engine.writeUpload(
        ctx(),
        stream([
          { uploadId, writeOffset: 0, data: bytes(10), finishWrite: true },
          { uploadId: '', writeOffset: 0, data: bytes(10), finishWrite: false },
        ]),
      ),
    ).rejects.toMatchObject({ kind: 'failed_precondition', reason: 'UPLOAD_FINISHED' });
    expect((await engine.uploadStatus(ctx(), uploadId)).complete).toBe(false);
    await expect(engine.uploadStatus(ctx(), '0190aaaa-0000-7000-8000-000000000000')).rejects.toMatchObject({ reason: 'UPLOAD_NOT_FOUND' });
    await expect(engine.writeAt(ctx(), { uploadId: '../x', writeOffset: 0, finishWrite: true })).rejects.toMatchObject({
      reason: 'UPLOAD_NOT_FOUND',
    });
    await expect(engine.startUpload(ctx(), { collection: 'c', id: '..' })).rejects.toMatchObject({ kind: 'invalid' });
    await engine.abortUpload(ctx(), uploadId);
    await expect(engine.writeAt(ctx(), { uploadId, writeOffset: 0, data: bytes(1), finishWrite: false })).rejects.toMatchObject({
      reason: 'UPLOAD_NOT_FOUND',
    });
    await expect(engine.completeUpload(ctx(), uploadId, {})).rejects.toMatchObject({ reason: 'UPLOAD_NOT_FOUND' });
    expect(await keys()).toEqual([]);
  });

  test('a create-only upload that loses fails with ALREADY_EXISTS and leaves the winner; a replacing one leaves the data it replaced to the trash sweep', async () => {
    const { engine, keys, read } = setup();
    const a = await engine.startUpload(ctx(), { collection: 'c', id: 'w', precondition: { exists: false } });
    const b = await engine.startUpload(ctx(), { collection: 'c', id: 'w', precondition: { exists: false } });
    await engine.writeAt(ctx(), { uploadId: a.uploadId, writeOffset: 0, data: bytes(P + 1, 1), finishWrite: true });
    await engine.writeAt(ctx(), { uploadId: b.uploadId, writeOffset: 0, data: bytes(P + 1, 2), finishWrite: false });
    await expect(engine.completeUpload(ctx(), b.uploadId, {})).rejects.toMatchObject({ reason: 'OBJECT_ALREADY_EXISTS' });
    expect(await keys()).toEqual(['objects/c/w', `_objdata/c/w/${a.uploadId}`]);
    const c = await engine.startUpload(ctx(), { collection: 'c', id: 'w' });
    const done = await engine.writeAt(ctx(), { uploadId: c.uploadId, writeOffset: 0, data: bytes(5, 3), finishWrite: true });
    expect(done.object).toMatchObject({ version: 2, sizeBytes: 5 });
    expect(sha(await read('w'))).toBe(sha(bytes(5, 3)));
    expect(await keys()).toEqual(['objects/c/w', `_objdata/c/w/${a.uploadId}`, `_objdata/c/w/${c.uploadId}`]);
    expect(await engine.sweepTrash()).toEqual({ deleted: 1, dropped: 0, failed: 0 });
    expect(await keys()).toEqual(['objects/c/w', `_objdata/c/w/${c.uploadId}`]);
  });

  test('CompleteUpload overrides: a wrong expected size is CHECKSUM_MISMATCH; a malformed SHA-256 is INVALID_ARGUMENT', async () => {
    const { engine, keys } = setup();
    const { uploadId } = await engine.startUpload(ctx(), { collection: 'c', id: 'v' });
    await engine.writeAt(ctx(), { uploadId, writeOffset: 0, data: bytes(10), finishWrite: false });
    await expect(engine.completeUpload(ctx(), uploadId, { expectedSha256: 'XYZ' })).rejects.toMatchObject({ field: 'expected_sha256' });
    await expect(engine.completeUpload(ctx(), uploadId, { expectedSize: 11 })).rejects.toMatchObject({ reason: 'CHECKSUM_MISMATCH' });
    expect(await keys()).toEqual([]);
  });
});

describe('objectCommit (the resumable engine commit point)', () => {
  test('is idempotent per data key: a second call returns the same object and writes nothing, even create-only', async () => {
    const store = new MemoryBlobStore();
    const objects = new MemoryObjectStore();
    const commit = objectCommit({ pointers: new ObjectPointers(store, systemClock), objects });
    const h = { collection: 'c', id: 'x', precondition: { exists: false } };
    const first = await commit(h, '_objdata/c/x/u1', 3, 'a'.repeat(64));
    const again = await commit(h, '_objdata/c/x/u1', 3, 'a'.repeat(64));
    expect(again).toEqual(first);
    expect(first).toMatchObject({ version: 1, sizeBytes: 3 });
    await expect(commit(h, '_objdata/c/x/u2', 3, 'a'.repeat(64))).rejects.toMatchObject({ reason: 'OBJECT_ALREADY_EXISTS' });
    const etag = { collection: 'c', id: 'x', precondition: { etag: first.etag } };
    const second = await commit(etag, '_objdata/c/x/u3', 4, 'b'.repeat(64));
    // Retried with the etag it has just replaced: the pointer names u3, so it is the same answer, not ETAG_MISMATCH.
    expect(await commit(etag, '_objdata/c/x/u3', 4, 'b'.repeat(64))).toEqual(second);
    expect(second.version).toBe(2);
  });
});
