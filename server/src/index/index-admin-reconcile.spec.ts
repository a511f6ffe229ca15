import type { CallContext } from '../api/call-context.js';
import { ManualClock } from '../common/manual-clock.js';
import { LocalCoordinator } from '../coordination/local/local-coordinator.js';
import { documentKey } from '../format/bucket-layout.js';
import { encodeEnvelope, newWriteId } from '../format/envelope.js';
import type { IndexDefinition } from '../model/index-def.js';
import type { BlobStore } from '../storage/blob-store.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { IndexAdmin } from './index-admin.js';
import { buildCollection } from './index-builder.js';
import { buildLeaseName } from './leased-build.js';
import { LocalIndexStore } from './local/local-index-store.js';
import { InMemoryMetrics } from '../observability/in-memory-metrics.js';
import { createMetrics, METRIC_NAMES, registerIndexesNotReady } from '../observability/metrics.js';

const ctx: CallContext = { signal: new AbortController().signal };
const def = (name: string, kind: IndexDefinition['kind'], field: string): IndexDefinition => ({
  collection: 'users',
  name,
  kind,
  fields: [field],
});

async function putDoc(store: BlobStore, id: string, data: Record<string, unknown>): Promise<void> {
  const meta = { version: 1, createTime: new Date(0), updateTime: new Date(0), writeId: newWriteId() };
  await store.put(documentKey('users', id), encodeEnvelope({ meta, data: data as never }));
}

/** The store "loses" its definitions as Redis restarted empty would: dropped behind the admin's back (storage keeps them). */
async function lose(indexes: LocalIndexStore, ...names: string[]): Promise<void> {
  for (const n of names) await indexes.dropIndex('users', n);
}

describe('IndexAdmin.reconcile (the index store lost definitions storage has)', () => {
  let indexes: LocalIndexStore;
  let blobs: MemoryBlobStore;
  let clock: ManualClock;
  let admin: IndexAdmin;

  beforeEach(async () => {
    indexes = new LocalIndexStore();
    blobs = new MemoryBlobStore();
    clock = new ManualClock({ startMs: 1_000_000 });
    admin = new IndexAdmin({ indexes, store: blobs, clock, coordinator: new LocalCoordinator({ clock }) });
    for (let i = 0; i < 40; i++) await putDoc(blobs, `u${String(i).padStart(2, '0')}`, { email: `e${i}`, age: i % 4 });
    await admin.createIndex(ctx, def('by_email', 'unique', 'email'));
    await admin.createIndex(ctx, def('by_age', 'equality', 'age'));
    await admin.whenIdle();
  });

  afterEach(async () => {
    await admin.close();
  });

  it('restores the missing definitions BUILDING, rebuilds them READY, and every document is found again', async () => {
    await lose(indexes, 'by_email', 'by_age');
    expect(await admin.listIndexes(ctx, 'users')).toEqual([]);
    expect((await admin.definitionsFor('users', await indexes.catalog('users'))).map((d) => d.name)).toEqual(['by_email', 'by_age']);
    const result = await admin.reconcile();
    expect([...result.restored].sort()).toEqual(['users.by_age', 'users.by_email']);
    await admin.whenIdle();
    expect((await admin.listIndexes(ctx, 'users')).map((i) => [i.name, i.state])).toEqual([
      ['by_age', 'ready'],
      ['by_email', 'ready'],
    ]);
    expect(await indexes.count('users', { op: 'eq', index: 'by_age', values: [1] })).toBe(10);
    expect(await indexes.ids('users', { op: 'eq', index: 'by_email', values: ['e17'] })).toEqual(['u17']);
    expect((await admin.reconcile()).restored).toEqual([]);
  });

  it('does not bring back an index dropped (by another server) between its listing and the catalog read', async () => {
    const dropper = new IndexAdmin({ indexes, store: blobs, clock });
    let first = true;
    const racing = Object.assign(Object.create(indexes) as LocalIndexStore, {
      catalog: async (collection: string, signal?: AbortSignal) => {
        if (first) {
          first = false;
          await dropper.dropIndex(ctx, 'users', 'by_age');
        }
        return indexes.catalog(collection, signal);
      },
    });
    const reconciler = new IndexAdmin({ indexes: racing, store: blobs, clock });
    expect((await reconciler.reconcile()).restored).toEqual([]);
    expect((await admin.listIndexes(ctx, 'users')).map((i) => i.name)).toEqual(['by_email']);
    expect((await reconciler.definitionsFor('users', await indexes.catalog('users'))).map((d) => d.name)).toEqual(['by_email']);
  });

  it('makes a restored index on an empty collection READY at once', async () => {
    const other = new IndexAdmin({ indexes, store: blobs, clock });
    await other.createIndex(ctx, { collection: 'empty', name: 'by_x', kind: 'equality', fields: ['x'] });
    await indexes.dropIndex('empty', 'by_x');
    await other.reconcile();
    expect((await other.listIndexes(ctx, 'empty')).map((i) => i.state)).toEqual(['ready']);
  });

  it('leaves a BUILDING index to the server holding its build lease', async () => {
    const coordinator = new LocalCoordinator({ clock });
    const busy = new IndexAdmin({ indexes, store: blobs, clock, coordinator });
    await lose(indexes, 'by_age');
    const held = await coordinator.tryAcquireLease(buildLeaseName('users'), 60_000, 'another server');
    expect(held.granted).toBe(true);
    expect((await busy.reconcile()).builds).toEqual(['users.by_age']);
    await busy.whenIdle();
    expect((await busy.getIndex(ctx, 'users', 'by_age')).state).toBe('building');
    if (held.granted) await coordinator.releaseLease(buildLeaseName('users'), held.lease.leaseId);
    await busy.reconcile();
    await busy.whenIdle();
    expect((await busy.getIndex(ctx, 'users', 'by_age')).state).toBe('ready');
  });

  it('counts restores and rebuilt documents, and reports the indexes left BUILDING', async () => {
    const metrics = new InMemoryMetrics();
    const coordinator = new LocalCoordinator({ clock });
    const counted = new IndexAdmin({ indexes, store: blobs, clock, coordinator, instruments: createMetrics(metrics.meter).index });
    registerIndexesNotReady(metrics.meter, counted);
    try {
      await lose(indexes, 'by_email', 'by_age');
      // Another server builds the collection: both stay BUILDING here.
      const held = await coordinator.tryAcquireLease(buildLeaseName('users'), 60_000, 'another server');
      await counted.reconcile();
      await counted.whenIdle();
      expect(await metrics.value(METRIC_NAMES.indexRestores, {})).toBe(2);
      expect(await metrics.value(METRIC_NAMES.indexRebuildDocuments, { collection: 'users', index: 'by_email' })).toBe(0);
      expect(await metrics.value(METRIC_NAMES.indexesNotReady, { collection: 'users' })).toBe(2);
      if (held.granted) await coordinator.releaseLease(buildLeaseName('users'), held.lease.leaseId);
      await counted.reconcile();
      await counted.whenIdle();
      expect(await metrics.value(METRIC_NAMES.indexRestores, {})).toBe(2); // nothing missing this time
      // One pass filled both: each index counts the 40 documents it scanned.
      expect(await metrics.value(METRIC_NAMES.indexRebuildDocuments, { collection: 'users', index: 'by_email' })).toBe(40);
      expect(await metrics.value(METRIC_NAMES.indexRebuildDocuments, { collection: 'users', index: 'by_age' })).toBe(40);
      expect(await metrics.point(METRIC_NAMES.indexesNotReady, { collection: 'users' })).toMatchObject({ value: 0 });
    } finally {
      await counted.close();
      await metrics.shutdown();
    }
  });

  it('a build whose index was recreated meanwhile stops without marking the new one READY', async () => {
    let first = true;
    const pausing = Object.assign(Object.create(blobs) as BlobStore, {
      get: async (key: string, signal?: AbortSignal) => {
        if (first && key.startsWith('docs/')) {
          first = false;
          // Redis lost the index and a reconcile restored it while this build was running.
          await indexes.dropIndex('users', 'by_age');
          clock.advance(5);
          await indexes.createIndex(def('by_age', 'equality', 'age'), clock.date());
        }
        return blobs.get(key, signal);
      },
    });
    await lose(indexes, 'by_age');
    await indexes.createIndex(def('by_age', 'equality', 'age'), clock.date());
    expect(await buildCollection({ indexes, store: pausing, collection: 'users', concurrency: 1 })).toMatchObject({
      outcome: 'done',
      ready: [],
      dropped: ['by_age'],
    });
    expect((await admin.getIndex(ctx, 'users', 'by_age')).state).toBe('building');
  });
});
