import { LocalIndexStore } from './local-index-store.js';

// The full behaviour is proven by test/index/index-store-check.test.ts (scenarios shared with the Redis adapter).
describe('LocalIndexStore check and repair', () => {
  it('pages entries by offset and repairs only against the expected record', async () => {
    const store = new LocalIndexStore();
    await store.createIndex({ collection: 'c', name: 'e', kind: 'equality', fields: ['e'] }, new Date(0));
    const version = (await store.catalog('c')).version;
    await store.apply('c', 'a', 1, { e: ['1', '2'] }, version);
    const first = await store.scanEntries('c', 'e', undefined, 1);
    expect(first).toEqual({ entries: [{ index: 'e', value: '1', id: 'a' }], cursor: '1' });
    expect(await store.scanEntries('c', 'e', first.cursor, 5)).toEqual({ entries: [{ index: 'e', value: '2', id: 'a' }] });
    expect(await store.repairEntries('c', { id: 'a', seq: 1, values: { e: ['1'] }, remove: {} }, version)).toBe('changed');
    expect(await store.repairEntries('c', { id: 'a', expectedRecordSeq: 1, seq: 1, values: { e: ['1'] }, remove: {} }, version)).toBe(
      'repaired',
    );
    expect((await store.scanEntries('c', 'e', undefined, 5)).entries.map((e) => e.value)).toEqual(['1']);
  });
});
