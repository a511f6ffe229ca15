import { isDbError } from '../errors/db-error.js';
import { LocalIndexStore } from '../index/local/local-index-store.js';
import { IndexWriteHooks } from '../index/write-hooks.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import type { BlobStore, WriteCondition } from '../storage/blob-store.js';
import { LocalCoordinator } from '../coordination/local/local-coordinator.js';
import { ManualClock } from '../common/manual-clock.js';
import { LocalFeed } from '../streams/local/local-feed.js';
import { FeedWriteHooks } from '../streams/feed-hooks.js';
import { storedReader } from '../streams/stored-events.js';
import { LocalExpiry } from '../ttl/local-expiry.js';
import { QueryEngine } from '../query/query-engine.js';
import { DocumentEngine } from './document-engine.js';

const ctx = { signal: new AbortController().signal };
const T0 = 1_800_000_000_000;

/** A store whose next delete of `key` first runs `before` (a write racing the purge between its read and its delete). */
class RacingStore extends MemoryBlobStore {
  race: { key: string; before: () => Promise<unknown> } | undefined;
  override async delete(key: string, condition?: Pick<WriteCondition, 'ifMatch'>, signal?: AbortSignal): Promise<boolean> {
    const race = this.race;
    if (race !== undefined && race.key === key) {
      this.race = undefined;
      await race.before();
    }
    return super.delete(key, condition, signal);
  }
}

async function setup(opts: { store?: BlobStore; defaultTtlMs?: Map<string, number>; withExpiry?: boolean } = {}) {
  const store = opts.store ?? new RacingStore();
  const clock = new ManualClock({ startMs: T0, autoAdvance: true });
  const indexes = new LocalIndexStore();
  for (const def of [
    { collection: 'users', name: 'by_email', fields: ['email'], kind: 'unique' as const },
    { collection: 'users', name: 'by_city', fields: ['city'], kind: 'equality' as const },
  ]) {
    await indexes.createIndex(def, new Date(T0));
    await indexes.setIndexState(def.collection, def.name, { state: 'ready' });
  }
  const feed = await LocalFeed.open({ clock });
  const hooks = new FeedWriteHooks({ feed, inner: new IndexWriteHooks(indexes), readStored: storedReader(store), clock });
  const expiry = new LocalExpiry({ store, clock, sweepMs: 1000, ...(opts.defaultTtlMs ? { defaultTtlMs: opts.defaultTtlMs } : {}) });
  const engine = new DocumentEngine({
    coordinator: new LocalCoordinator({ clock }),
    store,
    clock,
    hooks,
    ...(opts.withExpiry === false ? {} : { expiry }),
  });
  await expiry.start((c, id, signal) => engine.purgeExpired(c, id, signal));
  const byCity = (city: string) => indexes.ids('users', { op: 'eq', index: 'by_city', values: [city] });
  const changes = (collection = 'users') =>
    feed.read(collection, feed.bounds(collection).oldest, 1000).events.flatMap((e) => e.changes.map((c) => `${c.op} ${c.id}`));
  return { store, clock, indexes, feed, expiry, engine, byCity, changes };
}

const ttl = (ms: number) => ({ kind: 'ttl' as const, ms });

describe('DocumentEngine document expiry', () => {
  it('resolves a ttl by the writing clock and returns and stores the expire time', async () => {
    const { engine } = await setup();
    const doc = await engine.put(ctx, { collection: 'users', id: 'u1', data: { a: 1 }, expiration: ttl(5000) });
    expect(doc.expireTime).toEqual(new Date(T0 + 5000));
    expect((await engine.get(ctx, 'users', 'u1')).expireTime).toEqual(new Date(T0 + 5000));
  });

  it('every read path treats a document as absent from its expire time on', async () => {
    const { engine, clock } = await setup();
    await engine.put(ctx, { collection: 'users', id: 'u1', data: { a: 1 }, expiration: ttl(5000) });
    await engine.put(ctx, { collection: 'users', id: 'u2', data: { a: 2 } });
    clock.advance(4999);
    expect((await engine.exists(ctx, 'users', 'u1')).exists).toBe(true);
    clock.advance(1); // expireTime ≤ now
    expect(isDbError(await engine.get(ctx, 'users', 'u1').catch((e) => e), 'DOCUMENT_NOT_FOUND')).toBe(true);
    expect(await engine.exists(ctx, 'users', 'u1')).toEqual({ exists: false });
    expect((await engine.batchExists(ctx, 'users', ['u1', 'u2'])).map((i) => i.exists)).toEqual([false, true]);
    const got = [];
    for await (const item of engine.batchGet(ctx, 'users', ['u1', 'u2'])) got.push(item.document?.id);
    expect(got).toEqual([undefined, 'u2']);
    expect((await engine.list(ctx, { collection: 'users' })).documents.map((d) => d.id)).toEqual(['u2']);
    expect((await engine.list(ctx, { collection: 'users', keysOnly: true })).documents.map((d) => d.id)).toEqual(['u2']);
  });

  it('Count never counts an expired document, also where it would count from the index or the listing alone', async () => {
    const { engine, clock, store, indexes } = await setup();
    const query = new QueryEngine({ store, indexes, reader: engine.reader, expiry: engine.expiry });
    await engine.put(ctx, { collection: 'users', id: 'u1', data: { city: 'Oslo' }, expiration: ttl(1000) });
    await engine.put(ctx, { collection: 'users', id: 'u2', data: { city: 'Oslo' } });
    clock.advance(1000);
    expect((await query.count(ctx, { collection: 'users' })).count).toBe(1);
    // An exact index plan: counted from the index alone unless the collection may hold expired documents.
    const filter = { kind: 'field', field: 'city', op: 'eq', value: 'Oslo' } as const;
    expect((await query.count(ctx, { collection: 'users', filter })).count).toBe(1);
  });

  it('writes treat an expired document as absent: PutIfMatch and Delete on its etag are NOT_FOUND; Create and upsert start at version 1', async () => {
    const { engine, clock } = await setup();
    const old = await engine.put(ctx, { collection: 'users', id: 'u1', data: { v: 1 }, expiration: ttl(1000) });
    await engine.put(ctx, { collection: 'users', id: 'u1', data: { v: 2 }, expiration: ttl(1000) }); // version 2
    const v2 = await engine.get(ctx, 'users', 'u1');
    expect(v2.version).toBe(2);
    clock.advance(1000);
    const putIfMatch = await engine.putIfMatch(ctx, { collection: 'users', id: 'u1', etag: v2.etag, data: {} }).catch((e) => e);
    expect(isDbError(putIfMatch, 'DOCUMENT_NOT_FOUND')).toBe(true);
    const del = await engine.delete(ctx, { collection: 'users', id: 'u1', etag: v2.etag }).catch((e) => e);
    expect(isDbError(del, 'DOCUMENT_NOT_FOUND')).toBe(true);
    expect(await engine.delete(ctx, { collection: 'users', id: 'u1' })).toBe(false);
    const created = await engine.create(ctx, { collection: 'users', id: 'u1', data: { v: 3 } });
    expect(created.version).toBe(1);
    expect(created.createTime).toEqual(clock.date());
    expect(created.etag).not.toBe(old.etag);
    // An upsert over an expired version (known to this process) also starts again.
    await engine.put(ctx, { collection: 'users', id: 'u3', data: {}, expiration: ttl(1000) });
    clock.advance(1000);
    expect((await engine.put(ctx, { collection: 'users', id: 'u3', data: {} })).version).toBe(1);
    const createOnly = await engine.put(ctx, { collection: 'users', id: 'u4', data: {}, expiration: { kind: 'time', at: new Date(0) } });
    expect(createOnly.expireTime).toEqual(new Date(0)); // a past time is allowed: at once invisible
    expect((await engine.put(ctx, { collection: 'users', id: 'u4', data: {}, createOnly: true })).version).toBe(1);
  });

  it("a transaction's preconditions see an expired document as absent", async () => {
    const { engine, clock } = await setup();
    const old = await engine.put(ctx, { collection: 'users', id: 'u1', data: {}, expiration: ttl(1000) });
    await engine.put(ctx, { collection: 'users', id: 'u2', data: {}, expiration: ttl(1000) });
    clock.advance(1000);
    const stale = await engine
      .commit(ctx, { writes: [{ collection: 'users', id: 'u1', op: 'set', data: {}, precondition: { etag: old.etag } }] })
      .catch((e) => e);
    expect(isDbError(stale, 'PRECONDITION_FAILED')).toBe(true);
    const res = await engine.commit(ctx, {
      writes: [
        { collection: 'users', id: 'u1', op: 'set', data: { t: 1 }, precondition: { exists: false }, expiration: ttl(60_000) },
        { collection: 'users', id: 'u2', op: 'set', data: { t: 2 }, precondition: { exists: false } },
      ],
    });
    expect(res.results.map((r) => r.version)).toEqual([1, 1]);
    expect((await engine.get(ctx, 'users', 'u1')).expireTime).toEqual(new Date(clock.now() + 60_000));
    expect((await engine.get(ctx, 'users', 'u2')).expireTime).toBeUndefined();
  });

  it('the purge deletes an expired document with its index entries and publishes exactly one expire change', async () => {
    const { engine, clock, expiry, store, byCity, changes } = await setup();
    await engine.put(ctx, { collection: 'users', id: 'u1', data: { city: 'Oslo' }, expiration: ttl(2000) });
    await engine.put(ctx, { collection: 'users', id: 'u2', data: { city: 'Oslo' } });
    expect(await expiry.sweep()).toEqual({ purged: 0, dropped: 0, failed: 0 }); // not due yet
    clock.advance(2000);
    expect(await expiry.sweep()).toEqual({ purged: 1, dropped: 0, failed: 0 });
    expect(await store.get('docs/users/u1')).toBeUndefined();
    expect(await byCity('Oslo')).toEqual(['u2']);
    expect(await expiry.sweep()).toEqual({ purged: 0, dropped: 0, failed: 0 });
    expect(changes()).toEqual(['put u1', 'put u2', 'expire u1']);
  });

  it('a document rewritten between the purge read and its delete survives, with no expire change', async () => {
    const { engine, clock, expiry, store, changes } = await setup();
    await engine.put(ctx, { collection: 'users', id: 'u1', data: { v: 1 }, expiration: ttl(1000) });
    clock.advance(1000);
    (store as RacingStore).race = {
      key: 'docs/users/u1',
      before: () => engine.put(ctx, { collection: 'users', id: 'u1', data: { v: 2 } }),
    };
    expect(await expiry.sweep()).toEqual({ purged: 0, dropped: 1, failed: 0 });
    const doc = await engine.get(ctx, 'users', 'u1');
    expect(doc.data).toEqual({ v: 2 });
    expect(doc.version).toBe(1); // written over the expired version as if absent
    expect(changes()).toEqual(['put u1', 'put u1']);
  });

  it('failpoint ttl.before-purge-write=pause holds the purge after its read; a rewrite meanwhile wins', async () => {
    const { engine, clock, expiry, store, changes } = await setup();
    await engine.put(ctx, { collection: 'users', id: 'u1', data: { v: 1 }, expiration: ttl(1000) });
    clock.advance(1000);
    engine.failpoints.configure('ttl.before-purge-write=pause');
    let read!: () => void;
    const purgeRead = new Promise<void>((r) => (read = r));
    const get = store.get.bind(store);
    store.get = async (key, signal) => {
      const blob = await get(key, signal);
      if (key === 'docs/users/u1') read();
      return blob;
    };
    const sweeping = expiry.sweep();
    await purgeRead;
    await new Promise((r) => setImmediate(r)); // the purge reaches the failpoint
    expect(await get('docs/users/u1')).toBeDefined(); // held: nothing deleted
    await engine.put(ctx, { collection: 'users', id: 'u1', data: { v: 2 } });
    engine.failpoints.configure('');
    expect(await sweeping).toEqual({ purged: 0, dropped: 1, failed: 0 });
    expect((await engine.get(ctx, 'users', 'u1')).data).toEqual({ v: 2 });
    expect(changes()).toEqual(['put u1', 'put u1']);
  });

  it('a document rewritten without expiry before its purge is dropped from the schedule, not deleted', async () => {
    const { engine, clock, expiry, changes } = await setup();
    await engine.put(ctx, { collection: 'users', id: 'u1', data: { v: 1 }, expiration: ttl(1000) });
    await engine.put(ctx, { collection: 'users', id: 'u1', data: { v: 2 } });
    clock.advance(1000);
    expect(await expiry.sweep()).toEqual({ purged: 0, dropped: 1, failed: 0 });
    expect((await engine.get(ctx, 'users', 'u1')).data).toEqual({ v: 2 });
    expect((await engine.list(ctx, { collection: 'users', keysOnly: true })).documents.map((d) => d.id)).toEqual(['u1']);
    expect(changes()).toEqual(['put u1', 'put u1']);
  });

  it('a unique value held by an expired document can be taken again (the holder is purged inline)', async () => {
    const { engine, clock, changes } = await setup();
    await engine.put(ctx, { collection: 'users', id: 'u1', data: { email: 'a@x' }, expiration: ttl(1000) });
    const taken = await engine.put(ctx, { collection: 'users', id: 'u2', data: { email: 'a@x' } }).catch((e) => e);
    expect(isDbError(taken, 'UNIQUE_VIOLATION')).toBe(true);
    clock.advance(1000);
    expect((await engine.put(ctx, { collection: 'users', id: 'u2', data: { email: 'a@x' } })).version).toBe(1);
    expect(changes()).toEqual(['put u1', 'expire u1', 'put u2']);
  });

  it('a collection default TTL applies to writes without an expiration; never overrides it', async () => {
    const { engine } = await setup({ defaultTtlMs: new Map([['users', 30_000]]) });
    expect((await engine.put(ctx, { collection: 'users', id: 'u1', data: {} })).expireTime).toEqual(new Date(T0 + 30_000));
    expect((await engine.put(ctx, { collection: 'users', id: 'u1', data: {}, expiration: { kind: 'never' } })).expireTime).toBeUndefined();
    expect((await engine.create(ctx, { collection: 'other', id: 'x', data: {} })).expireTime).toBeUndefined();
  });

  it('refuses a ttl under 1 s, and expiring writes when expiry is not available', async () => {
    const { engine } = await setup();
    const short = await engine.put(ctx, { collection: 'users', id: 'u1', data: {}, expiration: ttl(999) }).catch((e) => e);
    expect(isDbError(short, 'INVALID_ARGUMENT')).toBe(true);
    const off = await setup({ withExpiry: false });
    const refused = await off.engine.put(ctx, { collection: 'users', id: 'u1', data: {}, expiration: ttl(5000) }).catch((e) => e);
    expect(isDbError(refused, 'TTL_NOT_AVAILABLE')).toBe(true);
    expect(refused.kind).toBe('failed_precondition');
    expect(await off.engine.exists(ctx, 'users', 'u1')).toEqual({ exists: false });
    expect((await off.engine.put(ctx, { collection: 'users', id: 'u1', data: {}, expiration: { kind: 'never' } })).version).toBe(1);
  });

  it('after a restart the schedule is rebuilt from the marked collections and the purge still happens', async () => {
    const first = await setup();
    await first.engine.put(ctx, { collection: 'users', id: 'u1', data: {}, expiration: ttl(1000) });
    await first.engine.put(ctx, { collection: 'users', id: 'u2', data: {} });
    await first.expiry.close();
    const second = await setup({ store: first.store });
    await new Promise((r) => setTimeout(r, 50)); // the rebuild runs in the background
    expect(second.expiry.due.get('users', 'u1')).toBe(T0 + 1000);
    expect(second.expiry.isExpiring('users')).toBe(true);
    second.clock.advance(1000);
    expect(await second.expiry.sweep()).toEqual({ purged: 1, dropped: 0, failed: 0 });
    expect(await first.store.get('docs/users/u1')).toBeUndefined();
  });
});
