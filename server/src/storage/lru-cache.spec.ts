import { LruCache } from './lru-cache.js';

describe('LruCache', () => {
  it('evicts the least recently used entries once the total weight exceeds the bound', () => {
    const c = new LruCache<string>({ maxWeight: 10, weigh: (_k, v) => v.length });
    c.set('a', 'xxxx'); // 4
    c.set('b', 'xxxx'); // 8
    expect(c.get('a')).toBe('xxxx'); // a is now the most recent
    c.set('c', 'xxxx'); // 12 > 10: b (least recent) goes
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBe('xxxx');
    expect(c.get('c')).toBe('xxxx');
    expect(c.weight).toBe(8);
    expect(c.size).toBe(2);
  });

  it('replacing a key re-weighs it; an entry heavier than the bound is not kept (and drops the old value)', () => {
    const c = new LruCache<string>({ maxWeight: 5, weigh: (_k, v) => v.length });
    c.set('a', 'xx');
    c.set('a', 'xxx');
    expect(c.weight).toBe(3);
    c.set('a', 'xxxxxx');
    expect(c.get('a')).toBeUndefined();
    expect(c.weight).toBe(0);
  });

  it('counts entries by default, deletes, and stores nothing with maxWeight 0', () => {
    const c = new LruCache<number>({ maxWeight: 2 });
    c.set('a', 1);
    c.set('b', 2);
    c.set('c', 3);
    expect([c.get('a'), c.get('b'), c.get('c')]).toEqual([undefined, 2, 3]);
    expect(c.delete('b')).toBe(true);
    expect(c.delete('b')).toBe(false);
    expect(c.size).toBe(1);
    const off = new LruCache<number>({ maxWeight: 0 });
    off.set('a', 1);
    expect(off.get('a')).toBeUndefined();
    expect(() => new LruCache({ maxWeight: -1 })).toThrow(RangeError);
  });
});
