import { LocalIndexStore } from './local/local-index-store.js';
import { DocumentEngine } from '../engine/document-engine.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { DurableCatalog } from './durable-catalog.js';
import { IndexAdmin } from './index-admin.js';
import { IndexWriteHooks } from './write-hooks.js';
import { LocalCoordinator } from '../coordination/local/local-coordinator.js';
import { CATALOG_PREFIX } from '../format/bucket-layout.js';

const ctx = { signal: new AbortController().signal };

describe('DurableCatalog', () => {
  it('adds, replaces and removes definitions as plain JSON per collection', async () => {
    const store = new MemoryBlobStore();
    const cat = new DurableCatalog(store);
    await cat.add({ collection: 'users', name: 'by_email', fields: ['email'], kind: 'unique' });
    await cat.add({ collection: 'users', name: 'by_age', fields: ['age'], kind: 'ordered' });
    await cat.add({ collection: 'orders', name: 'by_user', fields: ['user'], kind: 'equality' });
    await cat.remove('users', 'by_age');
    const all = await cat.all();
    expect(all).toEqual([
      { collection: 'orders', name: 'by_user', fields: ['user'], kind: 'equality' },
      { collection: 'users', name: 'by_email', fields: ['email'], kind: 'unique' },
    ]);
    const raw = JSON.parse(Buffer.from((await store.get(`${CATALOG_PREFIX}users`))!.body).toString('utf8'));
    expect(raw).toEqual({ schemaVersion: 1, indexes: [{ name: 'by_email', fields: ['email'], kind: 'unique' }] });
  });

  it('concurrent adds to one collection lose nothing', async () => {
    const cat = new DurableCatalog(new MemoryBlobStore());
    await Promise.all(
      Array.from({ length: 8 }, (_, i) => cat.add({ collection: 'c', name: `i${i}`, fields: [`f${i}`], kind: 'equality' })),
    );
    expect((await cat.all()).map((d) => d.name).sort()).toEqual(['i0', 'i1', 'i2', 'i3', 'i4', 'i5', 'i6', 'i7']);
  });
});

describe('IndexAdmin.restore after the index store was lost (embedded restart)', () => {
  it('recreates the index from object storage and rebuilds it from the documents', async () => {
    const store = new MemoryBlobStore();
    const before = new LocalIndexStore();
    const engine = new DocumentEngine({ coordinator: new LocalCoordinator(), store, hooks: new IndexWriteHooks(before) });
    const admin = new IndexAdmin({ indexes: before, store });
    await admin.createIndex(ctx, { collection: 'users', name: 'by_city', fields: ['city'], kind: 'equality' });
    for (let i = 0; i < 12; i++) await engine.put(ctx, { collection: 'users', id: `u${i}`, data: { city: i % 3 === 0 ? 'Oslo' : 'Rome' } });
    await admin.close();

    const after = new LocalIndexStore(); // the restart: the in-process index is gone
    const restarted = new IndexAdmin({ indexes: after, store });
    const restored = await restarted.restore(ctx);
    expect(restored.map((i) => i.name)).toEqual(['by_city']);
    await restarted.whenIdle();
    expect((await restarted.getIndex(ctx, 'users', 'by_city')).state).toBe('ready');
    expect(await after.ids('users', { op: 'eq', index: 'by_city', values: ['Oslo'] })).toEqual(['u0', 'u3', 'u6', 'u9']);
  });

  it('a dropped index is not restored', async () => {
    const store = new MemoryBlobStore();
    const admin = new IndexAdmin({ indexes: new LocalIndexStore(), store });
    await admin.createIndex(ctx, { collection: 'users', name: 'by_city', fields: ['city'], kind: 'equality' });
    await admin.dropIndex(ctx, 'users', 'by_city');
    expect(await new IndexAdmin({ indexes: new LocalIndexStore(), store }).restore(ctx)).toEqual([]);
  });
});
