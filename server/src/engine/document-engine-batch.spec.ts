import { DbError, isDbError } from '../errors/db-error.js';
import { LocalIndexStore } from '../index/local/local-index-store.js';
import { IndexWriteHooks } from '../index/write-hooks.js';
import type { Blob, BlobMeta, WriteCondition } from '../storage/blob-store.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import type { BatchWriteOp } from '../api/document-api.js';
import { DocumentEngine } from './document-engine.js';
import { LocalCoordinator } from '../coordination/local/local-coordinator.js';

const ctx = { signal: new AbortController().signal };

/** A MemoryBlobStore whose calls each take `delayMs` and that records the most calls in flight at once. */
class SlowStore extends MemoryBlobStore {
  inFlight = 0;
  maxInFlight = 0;
  constructor(private readonly delayMs: number) {
    super();
  }
  private async slow<T>(fn: () => Promise<T>): Promise<T> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((r) => setTimeout(r, this.delayMs));
      return await fn();
    } finally {
      this.inFlight--;
    }
  }
  override get(key: string, signal?: AbortSignal): Promise<Blob | undefined> {
    return this.slow(() => super.get(key, signal));
  }
  override head(key: string, signal?: AbortSignal): Promise<BlobMeta | undefined> {
    return this.slow(() => super.head(key, signal));
  }
  override put(key: string, body: Uint8Array, c?: WriteCondition, signal?: AbortSignal): Promise<BlobMeta> {
    return this.slow(() => super.put(key, body, c, signal));
  }
  override delete(key: string, c?: Pick<WriteCondition, 'ifMatch'>, signal?: AbortSignal): Promise<boolean> {
    return this.slow(() => super.delete(key, c, signal));
  }
}

async function rejection(p: Promise<unknown>): Promise<DbError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof DbError)) throw new Error(`expected a DbError, got ${String(e)}`);
  return e;
}

describe('DocumentEngine batches', () => {
  test('batchWrite: one outcome per item in request order, each as its single call', async () => {
    const engine = new DocumentEngine({ coordinator: new LocalCoordinator(), store: new MemoryBlobStore() });
    const old = await engine.put(ctx, { collection: 'c', id: 'cas', data: { v: 1 } });
    await engine.put(ctx, { collection: 'c', id: 'taken', data: {} });
    await engine.put(ctx, { collection: 'c', id: 'del', data: {} });
    await engine.put(ctx, { collection: 'c', id: 'cas', data: { v: 2 } }); // `old` is now stale
    const ops: BatchWriteOp[] = [
      { kind: 'put', id: 'new', data: { n: 1 } },
      { kind: 'put', id: 'taken', data: {}, createOnly: true },
      { kind: 'put', id: 'cas', data: { v: 3 }, etag: old.etag },
      { kind: 'delete', id: 'del' },
      { kind: 'delete', id: 'never' },
      { kind: 'put', id: '../bad', data: {} },
      { kind: 'put', id: 'nodata', data: undefined as never },
      { kind: 'put', id: 'missing', data: {}, etag: 'some-etag' },
    ];
    const out = await engine.batchWrite(ctx, 'c', ops);
    expect(out.map((o) => o.id)).toEqual(ops.map((o) => o.id));
    expect(out[0]).toMatchObject({ document: { id: 'new', version: 1, data: { n: 1 } } });
    expect(out[0]!.error).toBeUndefined();
    expect(out.map((o) => o.error?.reason)).toEqual([
      undefined,
      'DOCUMENT_ALREADY_EXISTS',
      'ETAG_MISMATCH',
      undefined,
      undefined,
      'INVALID_ID',
      'INVALID_ARGUMENT',
      'DOCUMENT_NOT_FOUND',
    ]);
    expect(out[2]!.error!.metadata['currentEtag']).toBe((await engine.get(ctx, 'c', 'cas')).etag);
    expect(out[3]).toEqual({ id: 'del', deleted: true });
    expect(out[4]).toEqual({ id: 'never', deleted: false });
    expect(out[5]!.error!.field).toBe('id');
    expect(out[6]!.error!.field).toBe('data');
    expect((await engine.get(ctx, 'c', 'cas')).data).toEqual({ v: 2 });
    expect((await engine.exists(ctx, 'c', 'del')).exists).toBe(false);
    // The errors are the single calls' errors.
    const single = await rejection(engine.put(ctx, { collection: 'c', id: 'taken', data: {}, createOnly: true }));
    expect([single.kind, single.reason, single.message]).toEqual([out[1]!.error!.kind, out[1]!.error!.reason, out[1]!.error!.message]);
  });

  test('batchWrite: whole-request errors name the field and write nothing', async () => {
    const store = new MemoryBlobStore();
    const engine = new DocumentEngine({ coordinator: new LocalCoordinator(), store, maxBatchWriteItems: 3 });
    const put = (id: string): BatchWriteOp => ({ kind: 'put', id, data: {} });
    const cases: [() => Promise<unknown>, string, string][] = [
      [() => engine.batchWrite(ctx, 'c', []), 'INVALID_ARGUMENT', 'writes'],
      [() => engine.batchWrite(ctx, 'c', [put('a'), put('b'), put('c'), put('d')]), 'INVALID_ARGUMENT', 'writes'],
      [() => engine.batchWrite(ctx, 'c', [put('a'), put('b'), { kind: 'delete', id: 'a' }]), 'INVALID_ARGUMENT', 'writes[2].id'],
      [
        () => engine.batchWrite(ctx, 'c', [{ kind: 'put', id: 'a', data: {}, createOnly: true, etag: 'e' }]),
        'INVALID_ARGUMENT',
        'writes[0].put.etag',
      ],
      [() => engine.batchWrite(ctx, 'bad/col', [put('a')]), 'INVALID_COLLECTION', 'collection'],
      [() => engine.batchDelete(ctx, 'c', [{ id: 'x' }, { id: 'x' }]), 'INVALID_ARGUMENT', 'items[1].id'],
      [() => engine.batchDelete(ctx, 'c', []), 'INVALID_ARGUMENT', 'items'],
      [() => engine.batchExists(ctx, 'c', []), 'INVALID_ARGUMENT', 'ids'],
      [() => engine.batchExists(ctx, 'c', ['ok', '../no']), 'INVALID_ID', 'ids[1]'],
    ];
    for (const [p, reason, field] of cases) {
      const e = await rejection(p());
      expect([e.kind, e.reason, e.field]).toEqual(['invalid', reason, field]);
    }
    expect((await store.list({ prefix: '', limit: 1000 })).keys).toEqual([]);
  });

  test('the concurrency bound holds with a slow store, and items do run in parallel', async () => {
    const store = new SlowStore(15);
    const engine = new DocumentEngine({ coordinator: new LocalCoordinator(), store, batchConcurrency: 4, versionCacheEntries: 0 });
    const ops = Array.from({ length: 20 }, (_, i): BatchWriteOp => ({ kind: 'put', id: `d${i}`, data: { i } }));
    const out = await engine.batchWrite(ctx, 'c', ops);
    expect(out.map((o) => o.document?.data)).toEqual(ops.map((_, i) => ({ i })));
    expect(store.maxInFlight).toBe(4);
    store.maxInFlight = 0;
    const ex = await engine.batchExists(ctx, 'c', [...ops.map((o) => o.id), 'nope']);
    expect(ex.map((x) => x.exists)).toEqual([...ops.map(() => true), false]);
    expect(store.maxInFlight).toBe(4);
    store.maxInFlight = 0;
    const del = await engine.batchDelete(
      ctx,
      'c',
      ops.map((o) => ({ id: o.id })),
    );
    expect(del.every((d) => d.deleted === true)).toBe(true);
    expect(store.maxInFlight).toBe(4);
  });

  test('batchExists answers in request order with etags; duplicates are answered each', async () => {
    const engine = new DocumentEngine({ coordinator: new LocalCoordinator(), store: new MemoryBlobStore() });
    const a = await engine.put(ctx, { collection: 'c', id: 'a', data: {} });
    const b = await engine.put(ctx, { collection: 'c', id: 'b', data: {} });
    expect(await engine.batchExists(ctx, 'c', ['b', 'zz', 'a', 'b'])).toEqual([
      { id: 'b', exists: true, etag: b.etag },
      { id: 'zz', exists: false },
      { id: 'a', exists: true, etag: a.etag },
      { id: 'b', exists: true, etag: b.etag },
    ]);
  });

  test('batchDelete: a stale etag fails only that item with ETAG_MISMATCH', async () => {
    const engine = new DocumentEngine({ coordinator: new LocalCoordinator(), store: new MemoryBlobStore() });
    const a = await engine.put(ctx, { collection: 'c', id: 'a', data: { v: 1 } });
    await engine.put(ctx, { collection: 'c', id: 'a', data: { v: 2 } });
    const b = await engine.put(ctx, { collection: 'c', id: 'b', data: {} });
    const out = await engine.batchDelete(ctx, 'c', [{ id: 'a', etag: a.etag }, { id: 'b', etag: b.etag }, { id: 'c' }]);
    expect(out.map((o) => [o.id, o.error?.reason, o.deleted])).toEqual([
      ['a', 'ETAG_MISMATCH', undefined],
      ['b', undefined, true],
      ['c', undefined, false],
    ]);
    expect(out[0]!.error!.kind).toBe('aborted');
    expect((await engine.get(ctx, 'c', 'a')).data).toEqual({ v: 2 });
  });

  test('indexes follow batch writes through the hooks; a unique violation fails only its item', async () => {
    const indexes = new LocalIndexStore();
    for (const def of [
      { collection: 'users', name: 'by_email', fields: ['email'], kind: 'unique' as const },
      { collection: 'users', name: 'by_city', fields: ['city'], kind: 'equality' as const },
    ]) {
      await indexes.createIndex(def, new Date());
      await indexes.setIndexState(def.collection, def.name, { state: 'ready' });
    }
    const engine = new DocumentEngine({
      coordinator: new LocalCoordinator(),
      store: new MemoryBlobStore(),
      hooks: new IndexWriteHooks(indexes),
    });
    const byCity = (city: string) => indexes.ids('users', { op: 'eq', index: 'by_city', values: [city] });
    await engine.put(ctx, { collection: 'users', id: 'old', data: { email: 'o@x', city: 'Oslo' } });
    const out = await engine.batchWrite(ctx, 'users', [
      { kind: 'put', id: 'u1', data: { email: 'a@x', city: 'Oslo' } },
      { kind: 'put', id: 'u2', data: { email: 'o@x', city: 'Oslo' } },
      { kind: 'delete', id: 'old' },
      { kind: 'put', id: 'u3', data: { email: 'c@x', city: 'Rome' } },
    ]);
    expect(out.map((o) => o.error?.reason)).toEqual([undefined, 'UNIQUE_VIOLATION', undefined, undefined]);
    expect(isDbError(out[1]!.error, 'UNIQUE_VIOLATION')).toBe(true);
    expect(await byCity('Oslo')).toEqual(['u1']);
    expect(await byCity('Rome')).toEqual(['u3']);
  });

  test('a cancelled call throws instead of answering', async () => {
    const engine = new DocumentEngine({ coordinator: new LocalCoordinator(), store: new SlowStore(20), batchConcurrency: 1 });
    const ac = new AbortController();
    const p = engine.batchWrite({ signal: ac.signal }, 'c', [
      { kind: 'put', id: 'a', data: {} },
      { kind: 'put', id: 'b', data: {} },
    ]);
    setTimeout(() => ac.abort(), 5);
    const e = await rejection(p);
    expect(e.kind).toBe('cancelled');
  });
});
