import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../common/clock.js';
import { ManualClock } from '../common/manual-clock.js';
import type { BlobStore } from '../storage/blob-store.js';
import { FilesystemBlobStore } from '../storage/filesystem/filesystem-store.js';
import type { ObjectStore } from '../storage/objects/object-store.js';
import { FilesystemObjectStore } from '../storage/objects/filesystem/filesystem-object-store.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { MemoryObjectStore } from '../storage/objects/memory/memory-object-store.js';
import { staticTokenKeys } from '../tokens/token-keys.js';
import type { DownloadItem, UploadMessage } from '../api/object-api.js';
import { ObjectEngine } from './object-engine.js';

const ctx = () => ({ signal: new AbortController().signal });

function setup(maxTransfers = 64) {
  const store = new MemoryBlobStore();
  const objects = new MemoryObjectStore();
  const engine = new ObjectEngine({
    store,
    objects,
    clock: systemClock,
    tokenKeys: staticTokenKeys('s'),
    limits: { maxTransfers },
    garbage: { graceMs: 0 },
  });
  const upload = (id: string, body: string) =>
    engine.upload(
      ctx(),
      (async function* (): AsyncGenerator<UploadMessage> {
        yield { header: { collection: 'c', id }, finishWrite: false };
        yield { data: Buffer.from(body), finishWrite: true };
      })(),
    );
  const dataKeys = async () => (await objects.list({ prefix: '_objdata/', limit: 100 })).objects.map((o) => o.key);
  return { engine, upload, dataKeys };
}

describe('ObjectEngine', () => {
  test('upload, stat, download, list, delete: one object end to end', async () => {
    const { engine, upload, dataKeys } = setup();
    const meta = await upload('x', 'hello');
    expect(await engine.stat(ctx(), 'c', 'x')).toEqual(meta);
    const items: DownloadItem[] = [];
    for await (const i of engine.download(ctx(), { collection: 'c', id: 'x' })) items.push(i);
    expect(items.map((i) => (i.kind === 'data' ? Buffer.from(i.data).toString() : i.kind))).toEqual(['start', 'hello']);
    expect((await engine.list(ctx(), { collection: 'c' })).objects).toEqual([meta]);
    expect(await engine.delete(ctx(), 'c', 'x')).toBe(true);
    // The data waits for the trash sweep (grace 0 here: due at once).
    expect(await dataKeys()).toHaveLength(1);
    expect(await engine.sweepTrash()).toEqual({ deleted: 1, dropped: 0, failed: 0 });
    expect(await dataKeys()).toEqual([]);
    expect(await engine.delete(ctx(), 'c', 'x')).toBe(false);
    await expect(engine.stat(ctx(), 'c', 'x')).rejects.toMatchObject({ kind: 'not_found', reason: 'OBJECT_NOT_FOUND' });
    await expect(engine.delete(ctx(), 'c', 'x', meta.etag)).rejects.toMatchObject({ reason: 'OBJECT_NOT_FOUND' });
  });

  test('delete with a stale etag is ETAG_MISMATCH and keeps the object and its data', async () => {
    const { engine, upload, dataKeys } = setup();
    await upload('x', 'a');
    await expect(engine.delete(ctx(), 'c', 'x', 'stale')).rejects.toMatchObject({ kind: 'aborted', reason: 'ETAG_MISMATCH' });
    expect(await dataKeys()).toHaveLength(1);
  });

  test('transfers beyond SB_MAX_TRANSFERS are RESOURCE_EXHAUSTED SERVER_OVERLOADED; a finished one frees its slot', async () => {
    const { engine, upload } = setup(1);
    await upload('x', 'a');
    const open = engine.download(ctx(), { collection: 'c', id: 'x' });
    await open.next();
    expect(engine.activeTransfers).toBe(1);
    await expect(upload('y', 'b')).rejects.toMatchObject({
      kind: 'resource_exhausted',
      reason: 'SERVER_OVERLOADED',
      metadata: { limit: '1' },
    });
    await open.return(undefined);
    expect(engine.activeTransfers).toBe(0);
    await expect(upload('y', 'b')).resolves.toMatchObject({ id: 'y' });
  });
});

describe.each(['memory', 'filesystem'] as const)('ObjectEngine garbage on %s storage (ADR 0013 §8)', (backend) => {
  const GRACE = 60_000;
  const MAX_AGE = 86_400_000;
  let root: string | undefined;
  afterEach(() => {
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
    root = undefined;
  });

  async function stores(): Promise<{ store: BlobStore; objects: ObjectStore }> {
    if (backend === 'memory') return { store: new MemoryBlobStore(), objects: new MemoryObjectStore() };
    root = mkdtempSync(join(tmpdir(), 'sb-objtrash-'));
    return {
      store: await FilesystemBlobStore.open({ root: join(root, 'docs') }),
      objects: await FilesystemObjectStore.open({ root: join(root, 'objects') }),
    };
  }

  async function setup() {
    const { store, objects } = await stores();
    const clock = new ManualClock({ startMs: Date.now() });
    const engine = new ObjectEngine({
      store,
      objects,
      clock,
      tokenKeys: staticTokenKeys('s'),
      garbage: { graceMs: GRACE, orphanMarginMs: 0, orphanScanMs: 1 },
      resumable: { maxAgeMs: MAX_AGE },
    });
    const body = Buffer.alloc(300_000, 7);
    const upload = (id: string, bytes: Buffer) =>
      engine.upload(
        ctx(),
        (async function* (): AsyncGenerator<UploadMessage> {
          yield { header: { collection: 'c', id }, finishWrite: false };
          yield { data: bytes, finishWrite: true };
        })(),
      );
    const read = async (items: AsyncIterable<DownloadItem>) => {
      const out: Buffer[] = [];
      for await (const i of items) if (i.kind === 'data') out.push(Buffer.from(i.data));
      return Buffer.concat(out);
    };
    const dataKeys = async () => (await objects.list({ prefix: '_objdata/', limit: 100 })).objects.map((o) => o.key);
    return { engine, clock, body, upload, read, dataKeys, store, objects };
  }

  test('a download of the replaced version in progress finishes with the old bytes; after the grace its data is gone and a resume is ETAG_MISMATCH', async () => {
    const { engine, clock, body, upload, read, dataKeys } = await setup();
    const old = await upload('x', body);
    const [oldData] = await dataKeys();
    const slow = engine.download(ctx(), { collection: 'c', id: 'x' });
    const first = await slow.next(); // the pointer is read: this download is of the old version
    const replacement = await upload('x', Buffer.from('new bytes'));
    expect(await engine.sweepTrash()).toEqual({ deleted: 0, dropped: 0, failed: 0 }); // not due yet
    expect(first.value).toMatchObject({ kind: 'start', object: { etag: old.etag } });
    expect((await read(slow)).equals(body)).toBe(true);
    // A resume within the grace with if_match of the old etag: the pointer moved, so ETAG_MISMATCH (never mixed versions).
    const resumed = engine.download(ctx(), { collection: 'c', id: 'x', offset: 10, ifMatch: old.etag });
    await expect(resumed.next()).rejects.toMatchObject({ reason: 'ETAG_MISMATCH' });
    clock.advance(GRACE);
    expect(await engine.sweepTrash()).toEqual({ deleted: 1, dropped: 0, failed: 0 });
    const left = await dataKeys();
    expect(left).toHaveLength(1);
    expect(left).not.toContain(oldData);
    expect((await read(engine.download(ctx(), { collection: 'c', id: 'x' }))).toString()).toBe('new bytes');
    expect(replacement.version).toBe(2);
  });

  test('a deleted object: a download in progress finishes; its data goes after the grace', async () => {
    const { engine, clock, body, upload, read, dataKeys } = await setup();
    await upload('y', body);
    const slow = engine.download(ctx(), { collection: 'c', id: 'y' });
    await slow.next();
    expect(await engine.delete(ctx(), 'c', 'y')).toBe(true);
    expect((await read(slow)).equals(body)).toBe(true);
    expect(await dataKeys()).toHaveLength(1);
    clock.advance(GRACE);
    expect(await engine.sweepTrash()).toMatchObject({ deleted: 1 });
    expect(await dataKeys()).toEqual([]);
  });

  test('the orphan scan removes unreferenced old data, keeps the current and the pending-trash versions', async () => {
    const { engine, clock, body, upload, dataKeys, objects } = await setup();
    await upload('z', body);
    await upload('z', body); // the first version is now pending trash
    const orphan = '_objdata/c/z/0190aaaa-aaaa-7aaa-8aaa-aaaaaaaaaaaa'; // a UUIDv7 of 2024: old
    await objects.putSmall(orphan, Buffer.from('left by a crash'));
    clock.advance(MAX_AGE);
    expect(await engine.scanOrphans()).toEqual({ scanned: 3, deleted: 1 });
    expect(await dataKeys()).toHaveLength(2);
    expect(await dataKeys()).not.toContain(orphan);
    expect(await engine.scanOrphans()).toBeUndefined(); // not due again until SB_OBJECT_ORPHAN_SCAN_MS has passed
  });
});
