/**
 * IndexStore.swapShadow, the atomic step of an online rebuild
 * (docs/adr/0009), written once and run against every adapter
 * (index-store.test.ts; the Redis cluster suite): the live index takes the
 * shadow's entries, keeps its definition and createTime, the shadow leaves
 * the catalog, and the old entries are gone.
 */
import type { IndexStore } from '../../server/src/index/index-store.js';
import { shadowIndexName } from '../../server/src/model/index-def.js';
import { Fixture, freshCollection, type StoreFactory } from './index-store-fixture.js';

export function indexStoreSwapScenarios(makeStore: StoreFactory): void {
  let store: IndexStore;
  let fx: Fixture;
  beforeEach(async () => {
    store = await makeStore();
    fx = new Fixture(store, freshCollection());
  });
  afterEach(async () => {
    await store.close();
  });

  /** The live index `name` and its shadow (BUILDING), with documents a (x=1) and b (x=2) applied to both. */
  async function setup(name: string, kind: 'equality' | 'unique' | 'ordered'): Promise<string> {
    await store.createIndex({ collection: fx.collection, name, kind, fields: ['x'] }, new Date(1000));
    await store.setIndexState(fx.collection, name, { state: 'failed', error: 'old failure' });
    const shadow = shadowIndexName(name);
    await store.createIndex({ collection: fx.collection, name: shadow, kind, fields: ['x'] }, new Date(2000));
    expect(await fx.put('a', { x: 1 })).toBe('applied');
    expect(await fx.put('b', { x: 2 })).toBe('applied');
    return shadow;
  }

  it.each(['equality', 'unique', 'ordered'] as const)(
    'swaps a READY %s shadow in: entries, state and catalog in one step',
    async (kind) => {
      const shadow = await setup('ix', kind);
      expect(await store.swapShadow(fx.collection, 'ix', shadow)).toBe(false); // the shadow is BUILDING
      // Corrupt the live index only: b's entries become exactly the shadow's (its live entry goes).
      const seq = await store.nextSeq(fx.collection);
      const catalog = await store.catalog(fx.collection);
      const repair = { id: 'b', expectedRecordSeq: (await store.heldEntries(fx.collection, [{ id: 'b', values: {} }]))[0]?.recordSeq, seq };
      const { values: all } = await fx.values({ x: 2 });
      const values = { [shadow]: all?.[shadow] ?? [] };
      expect(await store.repairEntries(fx.collection, { ...repair, values, remove: {} }, catalog.version)).toBe('repaired');
      expect(await fx.eq('ix', 2)).toEqual([]);
      expect(await fx.eq(shadow, 2)).toEqual(['b']);
      await store.setIndexState(fx.collection, shadow, { state: 'ready', documentsScanned: 2 });
      expect(await store.swapShadow(fx.collection, 'ix', shadow)).toBe(true);
      const after = await store.catalog(fx.collection);
      expect(after.version).toBeGreaterThan(catalog.version);
      expect(after.indexes).toHaveLength(1);
      expect(after.indexes[0]).toMatchObject({ name: 'ix', kind, fields: ['x'], state: 'ready', documentsScanned: 2 });
      expect(after.indexes[0]?.error).toBeUndefined();
      expect(after.indexes[0]?.createTime.getTime()).toBe(1000);
      expect(await fx.eq('ix', 2)).toEqual(['b']);
      expect(await fx.eq('ix', 1)).toEqual(['a']);
      // Writes after the swap maintain the swapped-in entries.
      expect(await fx.put('c', { x: 1 })).toBe('applied');
      expect(await fx.put('a', { x: 3 })).toBe('applied');
      expect(await fx.eq('ix', 1)).toEqual(['c']);
      expect(await fx.eq('ix', 3)).toEqual(['a']);
      expect(await store.swapShadow(fx.collection, 'ix', shadow)).toBe(false); // no shadow any more
    },
  );

  it('swaps nothing when the live index is gone', async () => {
    const shadow = await setup('ix', 'equality');
    await store.setIndexState(fx.collection, shadow, { state: 'ready' });
    expect(await store.dropIndex(fx.collection, 'ix')).toBe(true);
    expect(await store.swapShadow(fx.collection, 'ix', shadow)).toBe(false);
    expect((await store.catalog(fx.collection)).indexes.map((i) => i.name)).toEqual([shadow]);
  });
}
