import { LocalIndexStore } from './local-index-store.js';
import { systemClock } from '../../common/clock.js';

// The full behaviour is proven by test/index/index-store.test.ts (scenarios shared with the Redis adapter).
describe('LocalIndexStore', () => {
  it('expires reservations by its injected clock', async () => {
    let now = 1000;
    const store = new LocalIndexStore({ clock: { ...systemClock, now: () => now } });
    await store.createIndex({ collection: 'c', name: 'u', kind: 'unique', fields: ['u'] }, new Date());
    expect(await store.reserveUnique('c', 'a', { u: ['"v"'] }, 100)).toBeUndefined();
    now = 1099;
    expect(await store.reserveUnique('c', 'b', { u: ['"v"'] }, 100)).toEqual({ index: 'u', conflictingId: 'a' });
    now = 1100;
    expect(await store.reserveUnique('c', 'b', { u: ['"v"'] }, 100)).toBeUndefined();
  });

  it('keeps one state per collection', async () => {
    const store = new LocalIndexStore();
    expect(await store.nextSeq('a')).toBe(1);
    expect(await store.nextSeq('a')).toBe(2);
    expect(await store.nextSeq('b')).toBe(1);
    await store.createIndex({ collection: 'a', name: 'x', kind: 'equality', fields: ['x'] }, new Date());
    expect((await store.catalog('b')).indexes).toEqual([]);
  });
});
