import type { CallContext } from '../api/call-context.js';
import { ManualClock } from '../common/manual-clock.js';
import { documentKey } from '../format/bucket-layout.js';
import { encodeEnvelope, newWriteId } from '../format/envelope.js';
import type { BlobStore } from '../storage/blob-store.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { DurableCatalog } from './durable-catalog.js';
import { IndexAdmin } from './index-admin.js';
import { KnownDefinitions } from './known-definitions.js';
import { LocalIndexStore } from './local/local-index-store.js';

const ctx: CallContext = { signal: new AbortController().signal };

/** The store, counting requests on the durable definitions (`_meta/indexes/`). */
function counting(blobs: BlobStore): { store: BlobStore; requests: () => number } {
  let n = 0;
  const store = Object.assign(Object.create(blobs) as BlobStore, {
    get: async (key: string, signal?: AbortSignal) => {
      if (key.startsWith('_meta/indexes/')) n++;
      return blobs.get(key, signal);
    },
    list: async (...args: Parameters<BlobStore['list']>) => {
      if (args[0].prefix.startsWith('_meta/indexes/')) n++;
      return blobs.list(...args);
    },
  });
  return { store, requests: () => n };
}

describe('KnownDefinitions', () => {
  it('reads storage at most every refreshMs, again after invalidate(), and learns from remember/forget/adopt in between', async () => {
    const blobs = new MemoryBlobStore();
    const durable = new DurableCatalog(blobs);
    await durable.add({ collection: 'a', name: 'x', kind: 'equality', fields: ['x'] });
    const { store, requests } = counting(blobs);
    const clock = new ManualClock({ startMs: 0 });
    const known = new KnownDefinitions(new DurableCatalog(store), clock, 10_000);
    expect([...(await known.current()).keys()]).toEqual(['a']);
    expect(requests()).toBe(2); // LIST + one GET
    await durable.add({ collection: 'b', name: 'y', kind: 'unique', fields: ['y'] });
    clock.advance(9_999);
    expect([...(await known.current()).keys()]).toEqual(['a']);
    expect(requests()).toBe(2);
    known.adopt([
      { collection: 'a', name: 'z', kind: 'ordered', fields: ['z'], state: 'building', documentsScanned: 0, createTime: new Date(0) },
      // A rebuild's shadow is the store's working copy, never a definition to restore.
      {
        collection: 'a',
        name: 'z~shadow',
        kind: 'ordered',
        fields: ['z'],
        state: 'building',
        documentsScanned: 0,
        createTime: new Date(0),
      },
    ]);
    known.remember({ collection: 'c', name: 'w', kind: 'equality', fields: ['w'] });
    known.forget('a', 'x');
    expect(known.of('a').map((d) => d.name)).toEqual(['z']);
    expect(known.of('c').map((d) => d.name)).toEqual(['w']);
    clock.advance(1);
    await known.current();
    expect(requests()).toBe(5); // LIST + a + b
    expect(known.of('b').map((d) => d.name)).toEqual(['y']);
    known.invalidate();
    await known.current();
    expect(requests()).toBe(8);
    expect((await known.reread('a')).map((d) => d.name)).toEqual(['x']);
    expect(requests()).toBe(9);
  });
});

describe('KnownDefinitions.forCatalog', () => {
  const info = (name: string) => ({
    collection: 'a',
    name,
    kind: 'unique' as const,
    fields: [name],
    state: 'ready' as const,
    documentsScanned: 0,
    createTime: new Date(0),
  });

  it('reads storage only when the store catalog is one it was not read under, or shows an index it lacks', async () => {
    const blobs = new MemoryBlobStore();
    const { store, requests } = counting(blobs);
    const known = new KnownDefinitions(new DurableCatalog(store), new ManualClock({ startMs: 0 }));
    let recorded = 0;
    const recordNone = async (): Promise<string> => (recorded++, 'g1');
    // A store that cannot lose its catalogs: the copy is trusted as it is.
    expect(await known.forCatalog('a', { version: 1, indexes: [] }, recordNone)).toEqual([]);
    expect([requests(), recorded]).toEqual([0, 0]);
    // No catalog in the store, none in storage: one GET, then the empty catalog is recorded and trusted.
    expect(await known.forCatalog('a', { version: 0, indexes: [], generation: '' }, recordNone)).toEqual([]);
    expect([requests(), recorded]).toEqual([1, 1]);
    expect(await known.forCatalog('a', { version: 1, indexes: [], generation: 'g1' }, recordNone)).toEqual([]);
    expect(requests()).toBe(1);
    // Another server's CreateIndex (storage first, then the store): the new index in the catalog makes it read again.
    await new DurableCatalog(blobs).add({ collection: 'a', name: 'x', kind: 'unique', fields: ['x'] });
    expect((await known.forCatalog('a', { version: 2, indexes: [info('x')], generation: 'g1' }, recordNone)).map((d) => d.name)).toEqual([
      'x',
    ]);
    expect(requests()).toBe(2);
    expect((await known.forCatalog('a', { version: 2, indexes: [info('x')], generation: 'g1' }, recordNone)).length).toBe(1);
    expect(requests()).toBe(2);
    // The store lost the catalog: read again every time until it holds one; a definition is never recorded as none.
    for (let i = 0; i < 2; i++)
      expect((await known.forCatalog('a', { version: 0, indexes: [], generation: '' }, recordNone)).length).toBe(1);
    expect([requests(), recorded]).toEqual([4, 1]);
    // Recreated (a new generation, even with no index restored yet): read once more, then trusted.
    expect((await known.forCatalog('a', { version: 9, indexes: [], generation: 'g2' }, recordNone)).length).toBe(1);
    expect((await known.forCatalog('a', { version: 9, indexes: [], generation: 'g2' }, recordNone)).length).toBe(1);
    expect(requests()).toBe(5);
  });
});

describe('IndexAdmin reconciles against cached definitions', () => {
  it('compares the store every reconcile but reads storage only per refresh, and restores a lost index', async () => {
    const blobs = new MemoryBlobStore();
    const meta = { version: 1, createTime: new Date(0), updateTime: new Date(0), writeId: newWriteId() };
    for (let i = 0; i < 5; i++) await blobs.put(documentKey('users', `u${i}`), encodeEnvelope({ meta, data: { age: i } }));
    const { store, requests } = counting(blobs);
    const indexes = new LocalIndexStore();
    const clock = new ManualClock({ startMs: 0 });
    const admin = new IndexAdmin({ indexes, store, clock, definitionsRefreshMs: 60_000 });
    try {
      await admin.createIndex(ctx, { collection: 'users', name: 'by_age', kind: 'equality', fields: ['age'] });
      await admin.whenIdle();
      const before = requests();
      for (let i = 0; i < 10; i++) {
        clock.advance(2_000);
        await admin.reconcile();
      }
      expect(requests() - before).toBe(2); // the first reconcile's full read only
      await indexes.dropIndex('users', 'by_age'); // Redis lost it
      expect((await admin.reconcile()).restored).toEqual(['users.by_age']);
      expect(requests() - before).toBe(3); // one fresh GET of the collection before restoring
      await admin.whenIdle();
      expect((await admin.getIndex(ctx, 'users', 'by_age')).state).toBe('ready');
    } finally {
      await admin.close();
    }
  });

  it('gives an index created while its collection pass runs its own pass: it ends READY', async () => {
    const blobs = new MemoryBlobStore();
    const meta = { version: 1, createTime: new Date(0), updateTime: new Date(0), writeId: newWriteId() };
    for (let i = 0; i < 20; i++) await blobs.put(documentKey('users', `u${i}`), encodeEnvelope({ meta, data: { age: i, email: `e${i}` } }));
    let created: Promise<unknown> | undefined;
    let gets = 0;
    const store = Object.assign(Object.create(blobs) as BlobStore, {
      get: async (key: string, signal?: AbortSignal) => {
        if (key.startsWith('docs/') && ++gets === 5) {
          created = admin.createIndex(ctx, { collection: 'users', name: 'by_email', kind: 'unique', fields: ['email'] });
          await created;
        }
        return blobs.get(key, signal);
      },
    });
    const indexes = new LocalIndexStore();
    const admin = new IndexAdmin({ indexes, store, clock: new ManualClock({ startMs: 0 }), build: { pageSize: 5, concurrency: 1 } });
    try {
      await admin.createIndex(ctx, { collection: 'users', name: 'by_age', kind: 'ordered', fields: ['age'] });
      await admin.whenIdle();
      expect(created).toBeDefined();
      expect((await admin.listIndexes(ctx, 'users')).map((i) => [i.name, i.state])).toEqual([
        ['by_age', 'ready'],
        ['by_email', 'ready'],
      ]);
      expect(await indexes.ids('users', { op: 'eq', index: 'by_email', values: ['e2'] })).toEqual(['u2']);
    } finally {
      await admin.close();
    }
  });
});

describe('IndexAdmin.ensureIndexes', () => {
  it('creates every declared index first, then builds each collection in one pass (each document read once)', async () => {
    const blobs = new MemoryBlobStore();
    const meta = { version: 1, createTime: new Date(0), updateTime: new Date(0), writeId: newWriteId() };
    for (let i = 0; i < 10; i++) await blobs.put(documentKey('users', `u${i}`), encodeEnvelope({ meta, data: { a: i, b: `${i}` } }));
    let gets = 0;
    const store = Object.assign(Object.create(blobs) as BlobStore, {
      get: async (key: string, signal?: AbortSignal) => {
        if (key.startsWith('docs/')) gets++;
        return blobs.get(key, signal);
      },
    });
    const admin = new IndexAdmin({ indexes: new LocalIndexStore(), store });
    try {
      await admin.ensureIndexes(
        [
          { collection: 'users', name: 'by_a', kind: 'ordered', fields: ['a'] },
          { collection: 'users', name: 'by_b', kind: 'unique', fields: ['b'] },
        ],
        ctx,
      );
      await admin.whenIdle();
      expect((await admin.listIndexes(ctx, 'users')).map((i) => i.state)).toEqual(['ready', 'ready']);
      expect(gets).toBe(10);
    } finally {
      await admin.close();
    }
  });
});
