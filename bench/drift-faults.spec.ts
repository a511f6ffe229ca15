import { documentKey } from '../server/src/format/bucket-layout.js';
import { encodeEnvelope, newWriteId } from '../server/src/format/envelope.js';
import { indexValues } from '../server/src/index/extract-values.js';
import { checkIndexes, type CheckProgress } from '../server/src/index/index-check.js';
import { LocalIndexStore } from '../server/src/index/local/local-index-store.js';
import { MemoryBlobStore } from '../server/src/storage/memory/memory-store.js';
import { faultPlan, goneId, setEntries, type BenchDoc } from './drift-faults.js';

const C = 'users';
const docs: BenchDoc[] = Array.from({ length: 10 }, (_, i) => ({ id: `d${i}`, data: { email: `e${i}@x`, city: `c${i % 3}`, age: i } }));

describe('faultPlan', () => {
  it('takes every K-th document and as many absent ones, and heals exactly those', () => {
    const plan = faultPlan(docs, 4);
    expect(plan.corrupt.map((s) => s.id)).toEqual(['d0', 'd4', 'd8', goneId('d0'), goneId('d4'), goneId('d8')]);
    expect(plan.corrupt.slice(0, 3).every((s) => s.values === 'none')).toBe(true);
    expect(plan.heal).toEqual([
      { id: 'd0', values: docs[0]!.data },
      { id: 'd4', values: docs[4]!.data },
      { id: 'd8', values: docs[8]!.data },
      { id: goneId('d0'), values: null },
      { id: goneId('d4'), values: null },
      { id: goneId('d8'), values: null },
    ]);
  });

  it('gives the absent documents distinct unique values', () => {
    const emails = faultPlan(docs, 1)
      .corrupt.flatMap((s) => (s.values !== null && s.values !== 'none' ? [s.values.email] : []))
      .filter((e) => e !== undefined);
    expect(new Set(emails).size).toBe(10);
  });

  it('refuses a step that is not a positive integer', () => {
    expect(() => faultPlan(docs, 0)).toThrow(RangeError);
    expect(() => faultPlan(docs, 1.5)).toThrow(RangeError);
  });
});

describe('setEntries', () => {
  it('makes exactly the planned missing and stale entries, and heals them', async () => {
    const indexes = new LocalIndexStore();
    const blobs = new MemoryBlobStore();
    for (const [name, kind, field] of [
      ['by_email', 'unique', 'email'],
      ['by_city', 'equality', 'city'],
      ['by_age', 'ordered', 'age'],
    ] as const) {
      await indexes.createIndex({ collection: C, name, kind, fields: [field] }, new Date(0));
      await indexes.setIndexState(C, name, { state: 'ready' });
    }
    const catalog = await indexes.catalog(C);
    const meta = { version: 1, createTime: new Date(0), updateTime: new Date(0), writeId: newWriteId() };
    for (const d of docs) {
      await blobs.put(documentKey(C, d.id), encodeEnvelope({ meta, data: d.data }));
      await indexes.apply(C, d.id, 1, indexValues(catalog, d.data), catalog.version);
    }
    const check = async (): Promise<CheckProgress> => {
      let last: CheckProgress | undefined;
      for await (const p of checkIndexes({ indexes, store: blobs, collection: C, repair: false })) last = p;
      return last!;
    };
    const plan = faultPlan(docs, 5);
    await setEntries(indexes, C, catalog, plan.corrupt);
    expect(await check()).toMatchObject({ missing: 6, stale: 6 }); // 2 documents × 3 indexes, each way
    await setEntries(indexes, C, catalog, plan.heal);
    expect(await check()).toMatchObject({ missing: 0, stale: 0 });
    await setEntries(indexes, C, catalog, plan.corrupt); // again, over the tombstones the heal left
    expect(await check()).toMatchObject({ missing: 6, stale: 6 });
  });
});
