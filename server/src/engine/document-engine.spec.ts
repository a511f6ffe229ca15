import { DbError, isDbError } from '../errors/db-error.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { ConditionFailedError, type BlobStore } from '../storage/blob-store.js';
import type { JsonObject } from '../model/json.js';
import { DocumentEngine, type DocumentEngineOptions } from './document-engine.js';
import { LocalCoordinator } from '../coordination/local/local-coordinator.js';
import { systemClock } from '../common/clock.js';

const ctx = { signal: new AbortController().signal };

function setup(opts: Partial<DocumentEngineOptions> = {}): { store: MemoryBlobStore; engine: DocumentEngine } {
  const store = new MemoryBlobStore();
  return { store, engine: new DocumentEngine({ coordinator: new LocalCoordinator(), store, pageTokenSecret: 's', ...opts }) };
}

async function errorOf(p: Promise<unknown>): Promise<DbError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!(e instanceof DbError)) throw new Error(`expected a DbError, got ${String(e)}`);
  return e;
}

describe('DocumentEngine single-document operations', () => {
  it('get of a missing document is NOT_FOUND with collection and id', async () => {
    const { engine } = setup();
    const e = await errorOf(engine.get(ctx, 'users', 'u1'));
    expect(e.kind).toBe('not_found');
    expect(e.reason).toBe('DOCUMENT_NOT_FOUND');
    expect(e.metadata).toMatchObject({ collection: 'users', id: 'u1' });
  });

  it('put creates version 1, then counts versions, keeps createTime and changes the etag', async () => {
    let t = 1_000_000;
    const { engine } = setup({ clock: { ...systemClock, date: () => new Date((t += 1000)) } });
    const v1 = await engine.put(ctx, { collection: 'users', id: 'u1', data: { n: 1 } });
    expect(v1).toMatchObject({ collection: 'users', id: 'u1', data: { n: 1 }, version: 1 });
    expect(v1.createTime).toEqual(v1.updateTime);
    const v2 = await engine.put(ctx, { collection: 'users', id: 'u1', data: { n: 1 } });
    expect(v2.version).toBe(2);
    expect(v2.etag).not.toBe(v1.etag); // identical data, new etag
    expect(v2.createTime).toEqual(v1.createTime);
    expect(v2.updateTime.getTime()).toBeGreaterThan(v1.updateTime.getTime());
    const got = await engine.get(ctx, 'users', 'u1');
    expect(got).toEqual(v2);
  });

  it('put with createOnly fails with ALREADY_EXISTS on an existing id and leaves it unchanged', async () => {
    const { engine } = setup();
    const v1 = await engine.put(ctx, { collection: 'c', id: 'x', data: { a: 1 }, createOnly: true });
    expect(v1.version).toBe(1);
    const e = await errorOf(engine.put(ctx, { collection: 'c', id: 'x', data: { a: 2 }, createOnly: true }));
    expect(e.kind).toBe('already_exists');
    expect(e.reason).toBe('DOCUMENT_ALREADY_EXISTS');
    expect((await engine.get(ctx, 'c', 'x')).data).toEqual({ a: 1 });
  });

  it('a deleted and recreated document starts again at version 1 with a new etag (no ABA)', async () => {
    const { engine } = setup();
    const v1 = await engine.put(ctx, { collection: 'c', id: 'x', data: { a: 1 } });
    await engine.delete(ctx, { collection: 'c', id: 'x' });
    const again = await engine.put(ctx, { collection: 'c', id: 'x', data: { a: 1 } });
    expect(again.version).toBe(1);
    expect(again.etag).not.toBe(v1.etag);
    const e = await errorOf(engine.putIfMatch(ctx, { collection: 'c', id: 'x', data: { a: 2 }, etag: v1.etag }));
    expect(e.reason).toBe('ETAG_MISMATCH');
  });

  it('putIfMatch replaces only over the current etag', async () => {
    const { engine } = setup();
    const v1 = await engine.put(ctx, { collection: 'c', id: 'x', data: { a: 1 } });
    const v2 = await engine.putIfMatch(ctx, { collection: 'c', id: 'x', data: { a: 2 }, etag: v1.etag });
    expect(v2).toMatchObject({ version: 2, data: { a: 2 } });
    const e = await errorOf(engine.putIfMatch(ctx, { collection: 'c', id: 'x', data: { a: 3 }, etag: v1.etag }));
    expect(e.kind).toBe('aborted');
    expect(e.reason).toBe('ETAG_MISMATCH');
    expect(e.metadata).toMatchObject({ expectedEtag: v1.etag, currentEtag: v2.etag });
    expect((await engine.get(ctx, 'c', 'x')).data).toEqual({ a: 2 });
  });

  it('putIfMatch of a missing document is NOT_FOUND; an empty etag is invalid', async () => {
    const { engine } = setup();
    expect((await errorOf(engine.putIfMatch(ctx, { collection: 'c', id: 'x', data: {}, etag: 'e' }))).reason).toBe('DOCUMENT_NOT_FOUND');
    const e = await errorOf(engine.putIfMatch(ctx, { collection: 'c', id: 'x', data: {}, etag: '' }));
    expect(e).toMatchObject({ kind: 'invalid', reason: 'INVALID_ARGUMENT', field: 'etag' });
  });

  it('16 concurrent putIfMatch with the same etag: exactly one wins, the rest get ETAG_MISMATCH', async () => {
    const { engine } = setup();
    const v1 = await engine.put(ctx, { collection: 'c', id: 'x', data: { w: -1 } });
    const results = await Promise.allSettled(
      Array.from({ length: 16 }, (_, i) => engine.putIfMatch(ctx, { collection: 'c', id: 'x', data: { w: i }, etag: v1.etag })),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(isDbError(r.reason, 'ETAG_MISMATCH')).toBe(true);
    const final = await engine.get(ctx, 'c', 'x');
    expect(final.version).toBe(2);
    expect(final.data).toEqual((won[0] as PromiseFulfilledResult<{ data: JsonObject }>).value.data);
  });

  it('16 concurrent unconditional puts after a create: none lost, final version 17, versions distinct', async () => {
    const { engine } = setup();
    await engine.create(ctx, { collection: 'c', id: 'x', data: { w: -1 } });
    const written = await Promise.all(Array.from({ length: 16 }, (_, i) => engine.put(ctx, { collection: 'c', id: 'x', data: { w: i } })));
    expect(new Set(written.map((d) => d.version))).toEqual(new Set(Array.from({ length: 16 }, (_, i) => i + 2)));
    const final = await engine.get(ctx, 'c', 'x');
    expect(final.version).toBe(17);
    const last = written.find((d) => d.version === 17);
    expect(final.data).toEqual(last?.data);
  });

  it('put gives up with CONCURRENT_MODIFICATION when every round loses the race', async () => {
    const store = new MemoryBlobStore();
    // A store whose conditional puts always lose, as if another writer always won.
    let puts = 0;
    const hostile: BlobStore = {
      get: (k, s) => store.get(k, s),
      head: (k, s) => store.head(k, s),
      delete: (k, c, s) => store.delete(k, c, s),
      list: (o, s) => store.list(o, s),
      close: () => store.close(),
      put: async (key) => {
        puts++;
        throw new ConditionFailedError(key);
      },
    };
    const engine = new DocumentEngine({ coordinator: new LocalCoordinator(), store: hostile, maxPutAttempts: 3 });
    const e = await errorOf(engine.put(ctx, { collection: 'c', id: 'x', data: {} }));
    expect(e).toMatchObject({ kind: 'aborted', reason: 'CONCURRENT_MODIFICATION' });
    expect(puts).toBe(3);
  });

  it('create assigns sortable UUIDv7 ids and rejects taken ids', async () => {
    const { engine } = setup();
    const a = await engine.create(ctx, { collection: 'c', data: { i: 1 } });
    const b = await engine.create(ctx, { collection: 'c', id: '', data: { i: 2 } });
    expect(a.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.id < b.id).toBe(true);
    expect(a.version).toBe(1);
    await engine.create(ctx, { collection: 'c', id: 'mine', data: {} });
    const e = await errorOf(engine.create(ctx, { collection: 'c', id: 'mine', data: {} }));
    expect(e).toMatchObject({ kind: 'already_exists', reason: 'DOCUMENT_ALREADY_EXISTS' });
    const fixed = setup({ newId: () => 'fixed' }).engine;
    expect((await fixed.create(ctx, { collection: 'c', data: {} })).id).toBe('fixed');
  });

  it('delete is idempotent without an etag and exact with one', async () => {
    const { engine } = setup();
    expect(await engine.delete(ctx, { collection: 'c', id: 'x' })).toBe(false);
    const v1 = await engine.put(ctx, { collection: 'c', id: 'x', data: {} });
    const v2 = await engine.put(ctx, { collection: 'c', id: 'x', data: {} });
    const stale = await errorOf(engine.delete(ctx, { collection: 'c', id: 'x', etag: v1.etag }));
    expect(stale).toMatchObject({ kind: 'aborted', reason: 'ETAG_MISMATCH' });
    expect(stale.metadata).toMatchObject({ expectedEtag: v1.etag, currentEtag: v2.etag });
    expect(await engine.delete(ctx, { collection: 'c', id: 'x', etag: v2.etag })).toBe(true);
    const gone = await errorOf(engine.delete(ctx, { collection: 'c', id: 'x', etag: v2.etag }));
    expect(gone).toMatchObject({ kind: 'not_found', reason: 'DOCUMENT_NOT_FOUND' });
    expect(await engine.delete(ctx, { collection: 'c', id: 'x' })).toBe(false);
    await engine.put(ctx, { collection: 'c', id: 'x', data: {} });
    expect(await engine.delete(ctx, { collection: 'c', id: 'x' })).toBe(true);
  });

  it('exists reports presence and the current etag', async () => {
    const { engine } = setup();
    expect(await engine.exists(ctx, 'c', 'x')).toEqual({ exists: false });
    const v = await engine.put(ctx, { collection: 'c', id: 'x', data: {} });
    expect(await engine.exists(ctx, 'c', 'x')).toEqual({ exists: true, etag: v.etag });
  });

  it('rejects bad input without writing anything', async () => {
    const { engine, store } = setup({ maxDocumentBytes: 300 });
    const cases: [Promise<unknown>, string, string][] = [
      [engine.put(ctx, { collection: '_bad', id: 'x', data: {} }), 'INVALID_COLLECTION', 'collection'],
      [engine.put(ctx, { collection: 'c', id: 'a/b', data: {} }), 'INVALID_ID', 'id'],
      [engine.put(ctx, { collection: 'c', id: 'x', data: [] as unknown as JsonObject }), 'INVALID_ARGUMENT', 'data'],
      [engine.put(ctx, { collection: 'c', id: 'x', data: { n: NaN } }), 'INVALID_ARGUMENT', 'data'],
      [engine.create(ctx, { collection: 'c', id: '..', data: {} }), 'INVALID_ID', 'id'],
      [engine.putIfMatch(ctx, { collection: 'c', id: 'x', data: null as unknown as JsonObject, etag: 'e' }), 'INVALID_ARGUMENT', 'data'],
      [engine.put(ctx, { collection: 'c', id: 'x', data: { s: 'x'.repeat(300) } }), 'DOCUMENT_TOO_LARGE', 'data'],
      [engine.create(ctx, { collection: 'c', data: { s: 'x'.repeat(300) } }), 'DOCUMENT_TOO_LARGE', 'data'],
    ];
    for (const [p, reason, field] of cases) {
      const e = await errorOf(p);
      expect(e).toMatchObject({ kind: 'invalid', reason, field });
    }
    expect(store.size).toBe(0);
  });

  it('DOCUMENT_TOO_LARGE measures the encoded envelope and reports sizes', async () => {
    const { engine } = setup({ maxDocumentBytes: 200 });
    const ok = await engine.put(ctx, { collection: 'c', id: 'x', data: { s: 'x' } });
    expect(ok.version).toBe(1);
    const e = await errorOf(engine.put(ctx, { collection: 'c', id: 'x', data: { s: 'x'.repeat(150) } }));
    expect(e.reason).toBe('DOCUMENT_TOO_LARGE');
    expect(Number(e.metadata.sizeBytes)).toBeGreaterThan(200);
    expect(e.metadata.limitBytes).toBe('200');
    expect((await engine.get(ctx, 'c', 'x')).data).toEqual({ s: 'x' });
  });

  it('passes ctx.signal to the store: an aborted call is CANCELLED and writes nothing', async () => {
    const { engine, store } = setup();
    const ac = new AbortController();
    ac.abort();
    const aborted = { signal: ac.signal };
    for (const p of [
      engine.put(aborted, { collection: 'c', id: 'x', data: {} }),
      engine.create(aborted, { collection: 'c', data: {} }),
      engine.get(aborted, 'c', 'x'),
      engine.exists(aborted, 'c', 'x'),
      engine.delete(aborted, { collection: 'c', id: 'x' }),
      engine.list(aborted, { collection: 'c' }),
    ]) {
      expect((await errorOf(p)).kind).toBe('cancelled');
    }
    expect(store.size).toBe(0);
  });

  it('reports a corrupt stored body as INTERNAL_ERROR', async () => {
    const { engine, store } = setup();
    await store.put('docs/c/x', Buffer.from('garbage'));
    expect(await errorOf(engine.get(ctx, 'c', 'x'))).toMatchObject({ kind: 'internal', reason: 'INTERNAL_ERROR' });
  });
});
