import { createHash } from 'node:crypto';
import { systemClock } from '../common/clock.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { MemoryObjectStore } from '../storage/objects/memory/memory-object-store.js';
import type { UploadHeaderInput, UploadMessage } from '../api/object-api.js';
import { ObjectPointers } from './object-pointers.js';
import { runUpload, type UploadDeps } from './object-upload.js';
import { decodeTrashEntry, TrashMarker } from './trash-markers.js';

const MiB = 1024 * 1024;

function setup(limits: Partial<UploadDeps['limits']> = {}) {
  const store = new MemoryBlobStore();
  const objects = new MemoryObjectStore();
  const deps: UploadDeps = {
    pointers: new ObjectPointers(store, systemClock, new TrashMarker({ blobs: store, clock: systemClock, graceMs: 60_000 })),
    objects,
    limits: { maxBytes: 64 * MiB, partBytes: 5 * MiB, chunkMaxBytes: MiB, ...limits },
  };
  const upload = (messages: UploadMessage[] | AsyncIterable<UploadMessage>) =>
    runUpload(deps, { signal: new AbortController().signal }, Array.isArray(messages) ? iterate(messages) : messages);
  /** Every key under objects/ and _objdata/ (what a failed upload must leave unchanged). */
  const keys = async (): Promise<string[]> => [
    ...(await store.list({ prefix: 'objects/', limit: 1000 })).keys,
    ...(await objects.list({ prefix: '_objdata/', limit: 1000 })).objects.map((o) => o.key),
  ];
  /** The data keys the trash markers name. */
  const marked = async (): Promise<string[]> => {
    const page = await store.list({ prefix: '_objtrash/', limit: 1000 });
    return Promise.all(page.keys.map(async (k) => decodeTrashEntry((await store.get(k))!.body, k).data));
  };
  return { store, objects, deps, upload, keys, marked };
}

async function* iterate(messages: UploadMessage[]): AsyncGenerator<UploadMessage> {
  for (const m of messages) yield m;
}

const header = (h: Partial<UploadHeaderInput> = {}): UploadMessage => ({ header: { collection: 'c', id: 'x', ...h }, finishWrite: false });
const data = (bytes: Uint8Array, finishWrite = false): UploadMessage => ({ data: bytes, finishWrite });
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const bytesOf = (n: number, seed = 1): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * seed) & 0xff));

function chunks(body: Buffer, size: number): UploadMessage[] {
  const out: UploadMessage[] = [];
  for (let i = 0; i < body.length; i += size) out.push(data(body.subarray(i, i + size), i + size >= body.length));
  return out;
}

describe('runUpload', () => {
  test('a small object is one PUT of a fresh data key, then the pointer (version 1)', async () => {
    const { upload, objects, keys } = setup();
    const body = bytesOf(1000);
    const meta = await upload([header({ contentType: 'text/plain', metadata: { a: 'b' } }), data(body, true)]);
    expect(meta).toMatchObject({
      collection: 'c',
      id: 'x',
      version: 1,
      sizeBytes: 1000,
      sha256: sha(body),
      contentType: 'text/plain',
      metadata: { a: 'b' },
    });
    const all = await keys();
    expect(all).toHaveLength(2);
    const dataKey = all.find((k) => k.startsWith('_objdata/c/x/'))!;
    const got = await objects.get(dataKey);
    const parts: Buffer[] = [];
    for await (const c of got!.body) parts.push(Buffer.from(c));
    expect(Buffer.concat(parts).equals(body)).toBe(true);
  });

  test('above the part size the data is a multipart upload; no upload stays open', async () => {
    const { upload, objects } = setup();
    const body = bytesOf(11 * MiB + 3, 7);
    const meta = await upload([header({ expectedSize: body.length, expectedSha256: sha(body) }), ...chunks(body, MiB)]);
    expect(meta).toMatchObject({ sizeBytes: body.length, sha256: sha(body) });
    expect(await objects.listUploads({ prefix: '_objdata/', limit: 1000 })).toEqual([]);
  });

  test('finish_write on its own empty message; an empty object', async () => {
    const { upload } = setup();
    expect(await upload([header(), { finishWrite: true }])).toMatchObject({ sizeBytes: 0, sha256: sha(Buffer.alloc(0)) });
    expect(await upload([{ ...header({ id: 'y' }), finishWrite: true }])).toMatchObject({ id: 'y', sizeBytes: 0 });
  });

  test('a replace bumps the version, keeps the create time, changes the etag and marks the old data as trash (kept for the grace)', async () => {
    const { upload, keys, marked, store } = setup();
    const first = await upload([header(), data(bytesOf(10), true)]);
    expect(await marked()).toEqual([]);
    const firstData = (await keys()).filter((k) => k.startsWith('_objdata/'));
    const second = await upload([header({ precondition: { etag: first.etag } }), data(bytesOf(20), true)]);
    expect(second).toMatchObject({ version: 2, createTime: first.createTime, sizeBytes: 20 });
    expect(second.etag).not.toBe(first.etag);
    expect((await keys()).filter((k) => k.startsWith('_objdata/'))).toHaveLength(2);
    expect(await marked()).toEqual(firstData);
    const pointer = JSON.parse(Buffer.from((await store.get('objects/c/x'))!.body).toString()) as { object: { data: string } };
    expect(firstData).not.toContain(pointer.object.data);
    const third = await upload([header({ precondition: { exists: true } }), data(bytesOf(5), true)]);
    expect(third.version).toBe(3);
    const fourth = await upload([header(), data(bytesOf(5), true)]);
    expect(fourth.version).toBe(4);
  });

  describe('refusals leave objects/ and _objdata/ unchanged', () => {
    const cases: [string, (etag: string) => UploadMessage[], Record<string, unknown>][] = [
      ['no header first', () => [data(bytesOf(3), true)], { kind: 'invalid', reason: 'INVALID_ARGUMENT', field: 'header' }],
      ['an empty stream', () => [], { kind: 'invalid', field: 'header' }],
      ['a second header', () => [header({ id: 'y' }), header({ id: 'y' })], { kind: 'invalid', field: 'header' }],
      [
        'a chunk after finish_write',
        () => [header({ id: 'y' }), data(bytesOf(3), true), data(bytesOf(3))],
        { kind: 'failed_precondition', reason: 'UPLOAD_FINISHED' },
      ],
      ['no finish_write', () => [header({ id: 'y' }), data(bytesOf(3))], { kind: 'invalid', field: 'finish_write' }],
      [
        'no finish_write after a part',
        () => [header({ id: 'y' }), ...chunks(bytesOf(6 * MiB), MiB).map((m) => ({ ...m, finishWrite: false }))],
        { field: 'finish_write' },
      ],
      ['a chunk over the maximum', () => [header({ id: 'y' }), data(bytesOf(MiB + 1), true)], { kind: 'invalid', field: 'data' }],
      ['id ..', () => [header({ id: '..' }), data(bytesOf(1), true)], { reason: 'INVALID_ID' }],
      ['id a/b', () => [header({ id: 'a/b' }), data(bytesOf(1), true)], { reason: 'INVALID_ID' }],
      [
        'a wrong SHA-256',
        () => [header({ id: 'y', expectedSha256: 'f'.repeat(64) }), data(bytesOf(3), true)],
        { kind: 'invalid', reason: 'CHECKSUM_MISMATCH' },
      ],
      [
        'a wrong SHA-256, multipart',
        () => [header({ id: 'y', expectedSha256: 'f'.repeat(64) }), ...chunks(bytesOf(6 * MiB), MiB)],
        { reason: 'CHECKSUM_MISMATCH' },
      ],
      [
        'fewer bytes than expected_size',
        () => [header({ id: 'y', expectedSize: 4 }), data(bytesOf(3), true)],
        { reason: 'CHECKSUM_MISMATCH' },
      ],
      [
        'more bytes than expected_size',
        () => [header({ id: 'y', expectedSize: 2 }), data(bytesOf(3), true)],
        { reason: 'CHECKSUM_MISMATCH' },
      ],
      [
        'create-only on an existing name',
        () => [header({ precondition: { exists: false } }), data(bytesOf(3), true)],
        { kind: 'already_exists', reason: 'OBJECT_ALREADY_EXISTS' },
      ],
      [
        'a stale etag',
        () => [header({ precondition: { etag: 'nope' } }), data(bytesOf(3), true)],
        { kind: 'aborted', reason: 'ETAG_MISMATCH' },
      ],
      [
        'exists=true on a missing name',
        () => [header({ id: 'y', precondition: { exists: true } }), data(bytesOf(3), true)],
        { kind: 'not_found', reason: 'OBJECT_NOT_FOUND' },
      ],
      [
        'an etag on a missing name',
        (etag) => [header({ id: 'y', precondition: { etag } }), data(bytesOf(3), true)],
        { reason: 'OBJECT_NOT_FOUND' },
      ],
    ];
    test.each(cases)('%s', async (_what, messages, error) => {
      const { upload, keys, objects } = setup();
      const existing = await upload([header(), data(bytesOf(10), true)]);
      const before = await keys();
      await expect(upload(messages(existing.etag))).rejects.toMatchObject(error);
      expect(await keys()).toEqual(before);
      expect(await objects.listUploads({ prefix: '_objdata/', limit: 1000 })).toEqual([]);
    });
  });

  test('a stream growing past the maximum is OBJECT_TOO_LARGE and commits nothing', async () => {
    const { upload, keys } = setup({ maxBytes: 6 * MiB });
    await expect(upload([header(), ...chunks(bytesOf(7 * MiB), MiB)])).rejects.toMatchObject({
      reason: 'OBJECT_TOO_LARGE',
      metadata: { limitBytes: String(6 * MiB) },
    });
    expect(await keys()).toEqual([]);
  });

  test("16 concurrent create-only uploads of one name: one wins, 15 ALREADY_EXISTS, one data key left (the winner's)", async () => {
    const { upload, keys, objects } = setup();
    // Each stream yields to the event loop between messages, so the uploads interleave past the advisory precheck.
    async function* slow(i: number): AsyncGenerator<UploadMessage> {
      yield header({ precondition: { exists: false } });
      for (let k = 0; k < 3; k++) {
        await new Promise((r) => setImmediate(r));
        yield data(bytesOf(100, i + 1), k === 2);
      }
    }
    const results = await Promise.allSettled(Array.from({ length: 16 }, (_, i) => upload(slow(i))));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results.filter((x) => x.status === 'rejected'))
      expect((r as PromiseRejectedResult).reason).toMatchObject({ reason: 'OBJECT_ALREADY_EXISTS' });
    const dataKeys = (await keys()).filter((k) => k.startsWith('_objdata/'));
    expect(dataKeys).toHaveLength(1);
    const got = await objects.head(dataKeys[0]!);
    expect(got?.sha256).toBe((won[0] as PromiseFulfilledResult<{ sha256: string }>).value.sha256);
  });
});
