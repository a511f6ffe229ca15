import { ExpirySchedule, KEEP_SETTLED_MS } from './expiry-schedule.js';

describe('ExpirySchedule', () => {
  it('takes only due entries, earliest first, each once', () => {
    const s = new ExpirySchedule();
    const times = [50, 10, 40, 20, 30, 60, 5];
    times.forEach((t, i) => s.add('c', `d${i}`, t));
    expect(s.takeDue(30, 100).map((e) => e.expireAtMs)).toEqual([5, 10, 20, 30]);
    expect(s.takeDue(30, 100)).toEqual([]);
    expect(s.takeDue(1000, 2).map((e) => e.expireAtMs)).toEqual([40, 50]);
    expect(s.takeDue(1000, 100).map((e) => e.id)).toEqual(['d5']);
    expect(s.takeDue(Infinity, 100)).toEqual([]);
  });

  it('keeps a taken entry known while it is purged and for a while after it settled; a failed one is due again', () => {
    const s = new ExpirySchedule();
    s.add('c', 'a', 10);
    s.add('c', 'b', 10);
    const [a, b] = s.takeDue(10, 10);
    expect(s.get('c', 'a')).toBe(10);
    s.settle(a!, 20);
    s.retry(b!);
    expect(s.get('c', 'a')).toBe(10);
    expect(s.takeDue(20, 10)).toEqual([b]);
    s.settle(b!, 30);
    s.takeDue(20 + KEEP_SETTLED_MS, 10);
    expect(s.get('c', 'a')).toBeUndefined();
    expect(s.get('c', 'b')).toBe(10);
    s.takeDue(30 + KEEP_SETTLED_MS, 10);
    expect(s.get('c', 'b')).toBeUndefined();
  });

  it('a later schedule of the same document replaces the earlier one', () => {
    const s = new ExpirySchedule();
    s.add('c', 'a', 10);
    s.add('c', 'a', 100);
    expect(s.get('c', 'a')).toBe(100);
    expect(s.takeDue(50, 10)).toEqual([]);
    expect(s.takeDue(100, 10)).toEqual([{ collection: 'c', id: 'a', expireAtMs: 100 }]);
    s.add('c', 'a', 100);
    s.add('c', 'a', 5); // moved earlier
    expect(s.takeDue(5, 10)).toEqual([{ collection: 'c', id: 'a', expireAtMs: 5 }]);
    expect(s.takeDue(1000, 10)).toEqual([]);
  });

  it('keeps collections apart and stays ordered over many random entries', () => {
    const s = new ExpirySchedule();
    const n = 2000;
    for (let i = 0; i < n; i++) s.add(i % 2 === 0 ? 'x' : 'y', `d${i}`, Math.floor(Math.random() * 10_000));
    const taken = s.takeDue(Infinity, n);
    expect(taken).toHaveLength(n);
    for (let i = 1; i < n; i++) expect(taken[i]!.expireAtMs).toBeGreaterThanOrEqual(taken[i - 1]!.expireAtMs);
    expect(new Set(taken.map((e) => `${e.collection}/${e.id}`)).size).toBe(n);
  });

  it('restore adds an unknown entry or moves a later one earlier, never later; dueAmong reads due, taken and recently settled ids', () => {
    const s = new ExpirySchedule();
    s.add('c', 'stale', 500); // scheduled by a write that then failed
    s.restore('c', 'stale', 20); // the stored version expires earlier: a read met it
    s.restore('c', 'new', 30);
    s.add('c', 'kept', 10);
    s.restore('c', 'kept', 40);
    expect([s.get('c', 'stale'), s.get('c', 'new'), s.get('c', 'kept')]).toEqual([20, 30, 10]);
    const [kept] = s.takeDue(10, 1);
    s.settle(kept!, 15);
    expect(s.dueAmong('c', ['kept', 'stale', 'new', 'none'], 25)).toEqual(new Set(['kept', 'stale']));
    expect(s.dueAmong('c', ['kept', 'stale', 'new', 'none'], 30)).toEqual(new Set(['kept', 'stale', 'new']));
  });
});
