import { type DbError } from '../errors/db-error.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import type { Blob, BlobMeta, BlobStore, ListOptions, ListPage, WriteCondition } from '../storage/blob-store.js';
import { DocumentEngine } from './document-engine.js';
import { LocalCoordinator } from '../coordination/local/local-coordinator.js';

const ctx = { signal: new AbortController().signal };

/** Records every call that reaches the wrapped store, as 'get' / 'put ifMatch' / ... */
class CountingStore implements BlobStore {
  readonly calls: string[] = [];
  constructor(private readonly inner: BlobStore) {}
  get(key: string, signal?: AbortSignal): Promise<Blob | undefined> {
    this.calls.push('get');
    return this.inner.get(key, signal);
  }
  head(key: string, signal?: AbortSignal): Promise<BlobMeta | undefined> {
    this.calls.push('head');
    return this.inner.head(key, signal);
  }
  put(key: string, body: Uint8Array, condition?: WriteCondition, signal?: AbortSignal): Promise<BlobMeta> {
    this.calls.push(condition?.ifMatch !== undefined ? 'put ifMatch' : condition?.ifNoneMatch ? 'put ifNoneMatch' : 'put');
    return this.inner.put(key, body, condition, signal);
  }
  delete(key: string, condition?: Pick<WriteCondition, 'ifMatch'>, signal?: AbortSignal): Promise<boolean> {
    this.calls.push('delete');
    return this.inner.delete(key, condition, signal);
  }
  list(options: ListOptions, signal?: AbortSignal): Promise<ListPage> {
    this.calls.push('list');
    return this.inner.list(options, signal);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  /** The calls recorded since the last take(). */
  take(): string[] {
    return this.calls.splice(0);
  }
}

function twoEngines(versionCacheEntries?: number) {
  const memory = new MemoryBlobStore();
  const a = new CountingStore(memory);
  const b = new CountingStore(memory);
  return {
    a,
    b,
    engineA: new DocumentEngine({ coordinator: new LocalCoordinator(), store: a, pageTokenSecret: 's', versionCacheEntries }),
    engineB: new DocumentEngine({ coordinator: new LocalCoordinator(), store: b, pageTokenSecret: 's', versionCacheEntries }),
  };
}

const put = (engine: DocumentEngine, n: number) => engine.put(ctx, { collection: 'c', id: 'd', data: { n } });

describe('DocumentEngine version cache', () => {
  it('a Put over the version this process wrote or read is one conditional write', async () => {
    const { a, engineA } = twoEngines();
    const v1 = await put(engineA, 1);
    expect(a.take()).toEqual(['get', 'put ifNoneMatch']);
    const v2 = await put(engineA, 2);
    expect(a.take()).toEqual(['put ifMatch']);
    expect(v2.version).toBe(2);
    expect(v2.createTime).toEqual(v1.createTime);
    const read = await engineA.get(ctx, 'c', 'd');
    expect(read).toEqual(v2);
    a.take();
    expect((await put(engineA, 3)).version).toBe(3);
    expect(a.take()).toEqual(['put ifMatch']);
  });

  it('a stale entry (another engine wrote) falls back to read-modify-write with the right version', async () => {
    const { a, engineA, engineB } = twoEngines();
    const v1 = await put(engineA, 1);
    await put(engineB, 2); // engine A does not know about version 2
    a.take();
    const v3 = await put(engineA, 3);
    expect(a.take()).toEqual(['put ifMatch', 'get', 'put ifMatch']);
    expect(v3.version).toBe(3);
    expect(v3.createTime).toEqual(v1.createTime);
    expect(await engineB.get(ctx, 'c', 'd')).toEqual(v3);
    expect((await put(engineA, 4)).version).toBe(4);
    expect(a.take()).toEqual(['put ifMatch']);
  });

  it('a stale entry after another engine deleted and recreated the document starts from the new version', async () => {
    const { a, engineA, engineB } = twoEngines();
    await put(engineA, 1);
    await put(engineA, 2);
    await engineB.delete(ctx, { collection: 'c', id: 'd' });
    const recreated = await put(engineB, 3);
    a.take();
    const next = await put(engineA, 4);
    expect(a.take()).toEqual(['put ifMatch', 'get', 'put ifMatch']);
    expect(next.version).toBe(2);
    expect(next.createTime).toEqual(recreated.createTime);
  });

  it('a delete by this process forgets the key: the next Put creates version 1 without a failed write', async () => {
    const { a, engineA } = twoEngines();
    await put(engineA, 1);
    await put(engineA, 2);
    await engineA.delete(ctx, { collection: 'c', id: 'd' });
    a.take();
    const again = await put(engineA, 3);
    expect(again.version).toBe(1);
    expect(a.take()).toEqual(['get', 'put ifNoneMatch']);
  });

  it('PutIfMatch with the etag this process knows is one write; a wrong or stale etag is still refused', async () => {
    const { a, engineA, engineB } = twoEngines();
    const v1 = await put(engineA, 1);
    a.take();
    const v2 = await engineA.putIfMatch(ctx, { collection: 'c', id: 'd', data: { n: 2 }, etag: v1.etag });
    expect(a.take()).toEqual(['put ifMatch']);
    expect(v2.version).toBe(2);
    // An etag this process does not hold as current: read first, refused without a write.
    const wrong = await engineA.putIfMatch(ctx, { collection: 'c', id: 'd', data: { n: 9 }, etag: v1.etag }).catch((e) => e);
    expect((wrong as DbError).reason).toBe('ETAG_MISMATCH');
    expect(a.take()).toEqual(['get']);
    // Engine B moves the document on; A's cached etag v2 is stale, the store refuses the write.
    await put(engineB, 3);
    const stale = await engineA.putIfMatch(ctx, { collection: 'c', id: 'd', data: { n: 9 }, etag: v2.etag }).catch((e) => e);
    expect((stale as DbError).reason).toBe('ETAG_MISMATCH');
    expect(a.take()).toEqual(['put ifMatch', 'get']); // the error reads the document as committed (transactions resolved)
    expect((await engineB.get(ctx, 'c', 'd')).data).toEqual({ n: 3 });
  });

  it('versionCacheEntries 0 disables it: every Put reads first', async () => {
    const { a, engineA } = twoEngines(0);
    await put(engineA, 1);
    await put(engineA, 2);
    expect(a.take()).toEqual(['get', 'put ifNoneMatch', 'get', 'put ifMatch']);
  });

  it('two engines with warm caches upserting concurrently lose no write and number versions exactly', async () => {
    const { engineA, engineB } = twoEngines();
    await put(engineA, 0);
    await engineB.get(ctx, 'c', 'd');
    const writes = Array.from({ length: 24 }, (_, i) => put(i % 2 === 0 ? engineA : engineB, i + 1));
    const results = await Promise.all(writes);
    const versions = results.map((r) => r.version).sort((x, y) => x - y);
    expect(versions).toEqual(Array.from({ length: 24 }, (_, i) => i + 2));
    expect(new Set(results.map((r) => r.etag)).size).toBe(24);
    const final = await engineA.get(ctx, 'c', 'd');
    expect(final.version).toBe(25);
    expect(results.find((r) => r.version === 25)?.data).toEqual(final.data);
  });
});
