import { DbError, isDbError } from '../errors/db-error.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import type { Blob, BlobStore, ListOptions, ListPage } from '../storage/blob-store.js';
import type { BatchGetItem } from '../api/document-api.js';
import { DocumentEngine } from './document-engine.js';
import { LocalCoordinator } from '../coordination/local/local-coordinator.js';

const ctx = { signal: new AbortController().signal };

/** A BlobStore around a MemoryBlobStore that delays and counts gets, and can hook list. */
class ProbeStore implements BlobStore {
  readonly inner = new MemoryBlobStore();
  started = 0;
  inFlight = 0;
  maxInFlight = 0;
  abortedGets = 0;
  getDelayMs = 0;
  afterList?: (page: ListPage) => Promise<void>;

  async get(key: string, signal?: AbortSignal): Promise<Blob | undefined> {
    this.started++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.getDelayMs > 0) {
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(resolve, this.getDelayMs);
          signal?.addEventListener('abort', () => {
            clearTimeout(t);
            this.abortedGets++;
            reject(new DbError('cancelled', 'CANCELLED', 'cancelled'));
          });
        });
      }
      return await this.inner.get(key, signal);
    } finally {
      this.inFlight--;
    }
  }
  head(key: string, signal?: AbortSignal) {
    return this.inner.head(key, signal);
  }
  put(key: string, body: Uint8Array, c?: { ifMatch?: string; ifNoneMatch?: true }, signal?: AbortSignal) {
    return this.inner.put(key, body, c, signal);
  }
  delete(key: string, c?: { ifMatch?: string }, signal?: AbortSignal) {
    return this.inner.delete(key, c, signal);
  }
  async list(options: ListOptions, signal?: AbortSignal): Promise<ListPage> {
    const page = await this.inner.list(options, signal);
    await this.afterList?.(page);
    return page;
  }
  close() {
    return this.inner.close();
  }
}

async function errorOf(p: Promise<unknown>): Promise<DbError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!(e instanceof DbError)) throw new Error(`expected a DbError, got ${String(e)}`);
  return e;
}

async function collect(it: AsyncIterable<BatchGetItem>): Promise<BatchGetItem[]> {
  const out: BatchGetItem[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Writes documents {id} and then resets the probe's counters (puts read before they write). */
async function seed(engine: DocumentEngine, ids: string[], probe?: ProbeStore): Promise<void> {
  for (const id of ids) await engine.put(ctx, { collection: 'c', id, data: { id } });
  if (probe) probe.started = probe.maxInFlight = 0;
}

describe('DocumentEngine.batchGet', () => {
  it('answers every id in request order, missing and duplicate ids included', async () => {
    const store = new ProbeStore();
    store.getDelayMs = 1;
    const engine = new DocumentEngine({ coordinator: new LocalCoordinator(), store, batchConcurrency: 3 });
    await seed(engine, ['a', 'b', 'd'], store);
    const items = await collect(engine.batchGet(ctx, 'c', ['d', 'x', 'a', 'b', 'a', 'y']));
    expect(items.map((i) => [i.id, i.document?.data.id ?? null])).toEqual([
      ['d', 'd'],
      ['x', null],
      ['a', 'a'],
      ['b', 'b'],
      ['a', 'a'],
      ['y', null],
    ]);
    expect(items[2]?.document).toMatchObject({ collection: 'c', id: 'a', version: 1 });
  });

  it('runs exactly up to batchConcurrency reads in parallel, never more', async () => {
    const store = new ProbeStore();
    const engine = new DocumentEngine({ coordinator: new LocalCoordinator(), store, batchConcurrency: 4 });
    await seed(engine, ['a'], store);
    store.getDelayMs = 5;
    const items = await collect(
      engine.batchGet(
        ctx,
        'c',
        Array.from({ length: 30 }, () => 'a'),
      ),
    );
    expect(items).toHaveLength(30);
    expect(store.maxInFlight).toBe(4);
  });

  it('runs ahead of a slow consumer only by the concurrency window', async () => {
    const store = new ProbeStore();
    const engine = new DocumentEngine({ coordinator: new LocalCoordinator(), store, batchConcurrency: 4 });
    await seed(engine, ['a'], store);
    const it = engine
      .batchGet(
        ctx,
        'c',
        Array.from({ length: 100 }, () => 'a'),
      )
      [Symbol.asyncIterator]();
    await it.next();
    await new Promise((r) => setTimeout(r, 30));
    expect(store.started).toBe(5); // the window of 4, refilled once when the first result was taken
    await it.next();
    await new Promise((r) => setTimeout(r, 30));
    expect(store.started).toBe(6);
    await it.return?.();
  });

  it('stops fetching when ctx.signal aborts and throws CANCELLED', async () => {
    const store = new ProbeStore();
    const engine = new DocumentEngine({ coordinator: new LocalCoordinator(), store, batchConcurrency: 4 });
    await seed(engine, ['a'], store);
    store.getDelayMs = 20;
    const ac = new AbortController();
    const it = engine
      .batchGet(
        { signal: ac.signal },
        'c',
        Array.from({ length: 100 }, () => 'a'),
      )
      [Symbol.asyncIterator]();
    await it.next();
    ac.abort();
    const e = await errorOf(it.next());
    expect(e.kind).toBe('cancelled');
    const startedAtAbort = store.started;
    expect(startedAtAbort).toBeLessThanOrEqual(6);
    await new Promise((r) => setTimeout(r, 60));
    expect(store.started).toBe(startedAtAbort);
    expect(store.abortedGets).toBeGreaterThan(0);
    expect(store.inFlight).toBe(0);
  });

  it('validates collection, ids and the batch size on the first iteration', async () => {
    const engine = new DocumentEngine({ coordinator: new LocalCoordinator(), store: new MemoryBlobStore(), maxBatchItems: 3 });
    expect(await errorOf(collect(engine.batchGet(ctx, '', ['a'])))).toMatchObject({ reason: 'INVALID_COLLECTION' });
    expect(await errorOf(collect(engine.batchGet(ctx, 'c', ['a', 'b/c'])))).toMatchObject({
      reason: 'INVALID_ID',
      field: 'ids[1]',
    });
    expect(await errorOf(collect(engine.batchGet(ctx, 'c', ['a', 'b', 'c', 'd'])))).toMatchObject({
      kind: 'invalid',
      field: 'ids',
    });
    expect(await errorOf(collect(engine.batchGet(ctx, 'c', [])))).toMatchObject({ kind: 'invalid', field: 'ids' });
  });
});

describe('DocumentEngine.list', () => {
  it('pages through an id prefix in UTF-8 byte order until the token is empty', async () => {
    const engine = new DocumentEngine({ coordinator: new LocalCoordinator(), store: new MemoryBlobStore() });
    const aIds = Array.from({ length: 25 }, (_, i) => `a${String(i).padStart(2, '0')}`);
    await seed(engine, ['b1', ...aIds.slice().reverse(), 'a\u{1F600}', 'a\uFF5E', '0', 'b2']);
    const seen: string[] = [];
    const sizes: number[] = [];
    let pageToken = '';
    do {
      const page = await engine.list(ctx, { collection: 'c', idPrefix: 'a', pageSize: 10, pageToken });
      sizes.push(page.documents.length);
      for (const d of page.documents) {
        expect('data' in d && d.data.id).toBe(d.id);
        seen.push(d.id);
      }
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    expect(sizes).toEqual([10, 10, 7]);
    expect(seen).toEqual([...aIds, 'a\uFF5E', 'a\u{1F600}']);
  });

  it('keysOnly returns collection and id without reading any document', async () => {
    const store = new ProbeStore();
    const engine = new DocumentEngine({ coordinator: new LocalCoordinator(), store });
    await seed(engine, ['x', 'y'], store);
    const page = await engine.list(ctx, { collection: 'c', keysOnly: true });
    expect(page).toEqual({
      documents: [
        { collection: 'c', id: 'x' },
        { collection: 'c', id: 'y' },
      ],
      nextPageToken: '',
    });
    expect(store.started).toBe(0);
  });

  it('skips a document deleted between the listing and the fetch', async () => {
    const store = new ProbeStore();
    const engine = new DocumentEngine({ coordinator: new LocalCoordinator(), store });
    await seed(engine, ['x', 'y', 'z'], store);
    store.afterList = async () => {
      await store.inner.delete('docs/c/y');
    };
    const page = await engine.list(ctx, { collection: 'c' });
    expect(page.documents.map((d) => d.id)).toEqual(['x', 'z']);
  });

  it('uses 100 for page size 0, caps at 1000 and rejects negative sizes', async () => {
    const engine = new DocumentEngine({ coordinator: new LocalCoordinator(), store: new MemoryBlobStore() });
    await seed(
      engine,
      Array.from({ length: 1001 }, (_, i) => String(i).padStart(4, '0')),
    );
    const def = await engine.list(ctx, { collection: 'c', keysOnly: true, pageSize: 0 });
    expect(def.documents).toHaveLength(100);
    expect(def.nextPageToken).not.toBe('');
    const big = await engine.list(ctx, { collection: 'c', keysOnly: true, pageSize: 5000 });
    expect(big.documents).toHaveLength(1000);
    const rest = await engine.list(ctx, { collection: 'c', keysOnly: true, pageToken: big.nextPageToken });
    expect(rest.documents.map((d) => d.id)).toEqual(['1000']);
    expect(rest.nextPageToken).toBe('');
    expect(await errorOf(engine.list(ctx, { collection: 'c', pageSize: -1 }))).toMatchObject({
      kind: 'invalid',
      field: 'page_size',
    });
  });

  it('rejects tampered tokens and tokens of another request', async () => {
    const engine = new DocumentEngine({ coordinator: new LocalCoordinator(), store: new MemoryBlobStore(), pageTokenSecret: 'k' });
    await seed(engine, ['a1', 'a2', 'a3']);
    const { nextPageToken } = await engine.list(ctx, { collection: 'c', idPrefix: 'a', pageSize: 1 });
    expect(nextPageToken).not.toBe('');
    const bad = async (input: Parameters<DocumentEngine['list']>[1]): Promise<void> => {
      const e = await errorOf(engine.list(ctx, input));
      expect(isDbError(e, 'INVALID_PAGE_TOKEN')).toBe(true);
      expect(e.field).toBe('page_token');
    };
    const flipped = nextPageToken.slice(0, 3) + (nextPageToken[3] === 'A' ? 'B' : 'A') + nextPageToken.slice(4);
    await bad({ collection: 'c', idPrefix: 'a', pageToken: flipped });
    await bad({ collection: 'c', idPrefix: 'a', pageToken: 'garbage' });
    await bad({ collection: 'c', idPrefix: 'b', pageToken: nextPageToken });
    await bad({ collection: 'c', idPrefix: 'a', keysOnly: true, pageToken: nextPageToken });
    const other = new DocumentEngine({ coordinator: new LocalCoordinator(), store: new MemoryBlobStore(), pageTokenSecret: 'other' });
    expect(await errorOf(other.list(ctx, { collection: 'c', idPrefix: 'a', pageToken: nextPageToken }))).toMatchObject({
      reason: 'INVALID_PAGE_TOKEN',
    });
    const same = new DocumentEngine({ coordinator: new LocalCoordinator(), store: new MemoryBlobStore(), pageTokenSecret: 'k' });
    await expect(same.list(ctx, { collection: 'c', idPrefix: 'a', pageToken: nextPageToken })).resolves.toBeDefined();
  });

  it('validates collection and id prefix', async () => {
    const engine = new DocumentEngine({ coordinator: new LocalCoordinator(), store: new MemoryBlobStore() });
    expect(await errorOf(engine.list(ctx, { collection: 'no/slash' }))).toMatchObject({ reason: 'INVALID_COLLECTION' });
    expect(await errorOf(engine.list(ctx, { collection: 'c', idPrefix: 'a/' }))).toMatchObject({
      reason: 'INVALID_ID',
      field: 'id_prefix',
    });
  });
});
