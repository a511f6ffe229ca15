import { systemClock } from '../common/clock.js';
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
