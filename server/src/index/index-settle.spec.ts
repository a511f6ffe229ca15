import { documentKey } from '../format/bucket-layout.js';
import { encodeEnvelope, newWriteId } from '../format/envelope.js';
import type { JsonObject } from '../model/json.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { indexValues } from './extract-values.js';
import type { IndexStore } from './index-store.js';
import { settle, type SettleScope } from './index-settle.js';
import { LocalIndexStore } from './local/local-index-store.js';

const C = 'c';

async function store(blobs: MemoryBlobStore, id: string, seq: number, data: JsonObject): Promise<void> {
  const body = encodeEnvelope({ meta: { version: 1, createTime: new Date(0), updateTime: new Date(0), writeId: newWriteId() }, data });
  const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as { smarterbase: Record<string, unknown> };
  parsed.smarterbase.seq = seq;
  await blobs.put(documentKey(C, id), Buffer.from(JSON.stringify(parsed), 'utf8'));
}

describe('settle', () => {
  let indexes: LocalIndexStore;
  let blobs: MemoryBlobStore;
  let scope: (over?: IndexStore) => Promise<SettleScope>;

  beforeEach(async () => {
    indexes = new LocalIndexStore();
    blobs = new MemoryBlobStore();
    await indexes.createIndex({ collection: C, name: 'by_s', kind: 'equality', fields: ['s'] }, new Date(0));
    await indexes.setIndexState(C, 'by_s', { state: 'ready' });
    scope = async (over) => ({
      indexes: over ?? indexes,
      store: blobs,
      collection: C,
      catalog: await indexes.catalog(C),
      targets: new Set(['by_s']),
    });
  });

  it('reports a document never applied as missing and repairs it', async () => {
    await store(blobs, 'd', 5, { s: 'a' });
    const r = await settle(await scope(), new Map([['d', {}]]), true);
    expect(r.faults).toEqual([{ id: 'd', missing: { by_s: ['["a"]'] }, stale: {} }]);
    expect(r.repaired).toBe(1);
    expect(await indexes.ids(C, { op: 'eq', index: 'by_s', values: ['a'] })).toEqual(['d']);
  });

  it('never undoes a write that lands between its read and its repair', async () => {
    await store(blobs, 'd', 5, { s: 'a' });
    const catalog = await indexes.catalog(C);
    // The store's repair runs just after a newer write of d applied its entries.
    const racing = Object.assign(Object.create(indexes) as IndexStore, {
      repairEntries: async (...args: Parameters<IndexStore['repairEntries']>) => {
        await store(blobs, 'd', 6, { s: 'b' });
        await indexes.apply(C, 'd', 6, indexValues(catalog, { s: 'b' }), catalog.version);
        return indexes.repairEntries(...args);
      },
    });
    const r = await settle(await scope(racing), new Map([['d', {}]]), true);
    expect(r).toMatchObject({ repaired: 0, skipped: 1 });
    expect(await indexes.ids(C, { op: 'eq', index: 'by_s', values: ['b'] })).toEqual(['d']);
    expect(await indexes.ids(C, { op: 'eq', index: 'by_s', values: ['a'] })).toEqual([]);
  });

  it('leaves a document whose index record is newer than storage shows (a write in flight) unrepaired', async () => {
    await store(blobs, 'd', 5, { s: 'a' });
    await indexes.apply(C, 'd', 9, { by_s: ['["z"]'] }, (await indexes.catalog(C)).version);
    const r = await settle(await scope(), new Map([['d', {}]]), true);
    expect(r.faults).toHaveLength(1);
    expect(r).toMatchObject({ repaired: 0, skipped: 1 });
  });
});
