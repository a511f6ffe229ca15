import { OpenedChanges } from './opened-changes.js';

test('returns the data only for the exact sealed text it was opened from', () => {
  const cache = new OpenedChanges();
  cache.put('_feed/c/a@1', 'SEALED-1', { v: 1 });
  expect(cache.get('_feed/c/a@1', 'SEALED-1')).toEqual({ v: 1 });
  expect(cache.get('_feed/c/a@1', 'SEALED-X')).toBeUndefined(); // other bytes under the same name: open them
  expect(cache.get('_feed/c/b@1', 'SEALED-1')).toBeUndefined();
});

test('drops the least recently used past the byte bound, and keeps nothing larger than it', () => {
  const cache = new OpenedChanges(20);
  cache.put('a', 'x'.repeat(8), { a: 1 });
  cache.put('b', 'x'.repeat(8), { b: 1 });
  expect(cache.get('a', 'x'.repeat(8))).toEqual({ a: 1 }); // a is now the most recent
  cache.put('c', 'x'.repeat(8), { c: 1 }); // 24 bytes: b goes
  expect([cache.get('a', 'x'.repeat(8)), cache.get('b', 'x'.repeat(8)), cache.get('c', 'x'.repeat(8))]).toEqual([
    { a: 1 },
    undefined,
    { c: 1 },
  ]);
  cache.put('big', 'x'.repeat(21), { big: 1 });
  expect(cache.get('big', 'x'.repeat(21))).toBeUndefined();
  expect(cache.size).toBe(2);
  cache.put('a', 'y'.repeat(8), { a: 2 }); // replaced, not counted twice
  expect(cache.size).toBe(2);
  expect(cache.get('a', 'y'.repeat(8))).toEqual({ a: 2 });
});
