import { systemClock } from '../common/clock.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { MemoryObjectStore } from '../storage/objects/memory/memory-object-store.js';
import type { DownloadInput, DownloadItem, UploadMessage } from '../api/object-api.js';
import { ObjectPointers } from './object-pointers.js';
import { runDownload } from './object-download.js';
import { runUpload } from './object-upload.js';
import { encodePointer } from './pointer-format.js';

const ctx = () => ({ signal: new AbortController().signal });
const body = Buffer.from(Array.from({ length: 10_000 }, (_, i) => (i * 31) & 0xff));

async function setup(chunkBytes = 4096) {
  const store = new MemoryBlobStore();
  const objects = new MemoryObjectStore();
  const pointers = new ObjectPointers(store, systemClock);
  const put = (b: Buffer, id = 'x') =>
    runUpload(
      { pointers, objects, limits: { maxBytes: 1e9, partBytes: 5 * 1024 * 1024, chunkMaxBytes: 1e6 } },
      ctx(),
      (async function* (): AsyncGenerator<UploadMessage> {
        yield { header: { collection: 'c', id }, finishWrite: false };
        yield { data: b, finishWrite: true };
      })(),
    );
  const meta = await put(body);
  const download = async (input: Partial<DownloadInput>): Promise<DownloadItem[]> => {
    const out: DownloadItem[] = [];
    for await (const item of runDownload({ pointers, objects, chunkBytes }, ctx(), { collection: 'c', id: 'x', ...input })) out.push(item);
    return out;
  };
  return { store, objects, pointers, meta, put, download };
}

const bytesOf = (items: DownloadItem[]): Buffer => Buffer.concat(items.flatMap((i) => (i.kind === 'data' ? [Buffer.from(i.data)] : [])));

describe('runDownload', () => {
  test('metadata first, then the whole object in chunks of at most the chunk size, each with its offset', async () => {
    const { download, meta } = await setup();
    const items = await download({});
    expect(items[0]).toEqual({ kind: 'start', object: meta, offset: 0 });
    const data = items.slice(1) as Extract<DownloadItem, { kind: 'data' }>[];
    expect(data.map((d) => [d.offset, d.data.byteLength])).toEqual([
      [0, 4096],
      [4096, 4096],
      [8192, 1808],
    ]);
    expect(bytesOf(items).equals(body)).toBe(true);
  });

  test('a range: offset and length; length past the end is cut; offset = size sends no data', async () => {
    const { download } = await setup();
    const items = await download({ offset: 5000, length: 100 });
    expect(items[0]).toMatchObject({ kind: 'start', offset: 5000 });
    expect(bytesOf(items).equals(body.subarray(5000, 5100))).toBe(true);
    expect(bytesOf(await download({ offset: 9990, length: 100 })).equals(body.subarray(9990))).toBe(true);
    expect(await download({ offset: 10_000 })).toHaveLength(1);
  });

  test('offset past the end is OUT_OF_RANGE RANGE_NOT_SATISFIABLE', async () => {
    const { download } = await setup();
    await expect(download({ offset: 10_001 })).rejects.toMatchObject({
      kind: 'out_of_range',
      reason: 'RANGE_NOT_SATISFIABLE',
      metadata: { offset: '10001', sizeBytes: '10000' },
    });
  });

  test('if_match: the current etag reads, another is ETAG_MISMATCH; a missing object is OBJECT_NOT_FOUND', async () => {
    const { download, meta } = await setup();
    expect(bytesOf(await download({ ifMatch: meta.etag })).equals(body)).toBe(true);
    await expect(download({ ifMatch: 'old' })).rejects.toMatchObject({
      kind: 'aborted',
      reason: 'ETAG_MISMATCH',
      metadata: { currentEtag: meta.etag },
    });
    await expect(download({ id: 'nope' })).rejects.toMatchObject({ kind: 'not_found', reason: 'OBJECT_NOT_FOUND' });
    await expect(download({ id: '..' })).rejects.toMatchObject({ reason: 'INVALID_ID' });
  });

  test('a whole object whose bytes do not match its SHA-256 ends DATA_LOSS OBJECT_CORRUPT after its data', async () => {
    const { download, store, pointers } = await setup();
    const read = (await pointers.read('c', 'x'))!;
    await store.put('objects/c/x', encodePointer({ ...read.pointer, sha256: '0'.repeat(64) }));
    await expect(download({})).rejects.toMatchObject({ kind: 'data_loss', reason: 'OBJECT_CORRUPT' });
    // A range is not verified by the server (the client checks the whole file).
    expect(bytesOf(await download({ offset: 1 })).equals(body.subarray(1))).toBe(true);
  });

  test('replaced mid-stream while the old data is kept (the grace period): the stream ends OK with the old bytes', async () => {
    const { objects, pointers, put, meta } = await setup();
    const it = runDownload({ pointers, objects, chunkBytes: 4096 }, ctx(), { collection: 'c', id: 'x' });
    const first = await it.next(); // start: the pointer is read, the data not yet
    await put(Buffer.from('new'));
    const rest: DownloadItem[] = [];
    for await (const i of it) rest.push(i);
    expect(first.value).toMatchObject({ kind: 'start', object: { etag: meta.etag } });
    expect(bytesOf(rest).equals(body)).toBe(true);
  });

  test('data gone mid-stream (replaced or deleted, the grace over): the stream ends ETAG_MISMATCH; deleted: OBJECT_NOT_FOUND', async () => {
    const { store, objects, pointers, put } = await setup();
    const dataKeys = async () => (await objects.list({ prefix: '_objdata/', limit: 10 })).objects.map((o) => o.key);
    const read = async (replace: () => Promise<unknown>) => {
      const it = runDownload({ pointers, objects, chunkBytes: 4096 }, ctx(), { collection: 'c', id: 'x' });
      await it.next(); // start: the pointer is read, the data not yet
      await replace();
      const out: unknown[] = [];
      for await (const i of it) out.push(i);
      return out;
    };
    const dropOld = async (keep: string[]) => {
      for (const k of await dataKeys()) if (!keep.includes(k)) await objects.delete(k);
    };
    await expect(
      read(async () => {
        const before = await dataKeys();
        await put(Buffer.from('new'));
        await dropOld((await dataKeys()).filter((k) => !before.includes(k)));
      }),
    ).rejects.toMatchObject({ reason: 'ETAG_MISMATCH' });
    await expect(
      read(async () => {
        await store.delete('objects/c/x');
        await dropOld([]);
      }),
    ).rejects.toMatchObject({ reason: 'OBJECT_NOT_FOUND' });
  });

  test('nothing is read ahead of the consumer: one item per pull', async () => {
    const { objects, pointers } = await setup(1000);
    let pulled = 0;
    const counting = Object.create(objects) as MemoryObjectStore;
    counting.get = async (key, opts) => {
      const r = await objects.get(key, opts);
      if (r === undefined) return r;
      return {
        ...r,
        body: (async function* () {
          for await (const c of r.body) {
            for (let i = 0; i < c.byteLength; i += 500) {
              pulled += Math.min(500, c.byteLength - i);
              yield c.subarray(i, i + 500);
            }
          }
        })(),
      };
    };
    const it = runDownload({ pointers, objects: counting, chunkBytes: 1000 }, ctx(), { collection: 'c', id: 'x' });
    await it.next();
    await it.next();
    expect(pulled).toBe(1000);
    await it.return(undefined);
  });
});
