import { FeedGenerations } from './feed-generations.js';

describe('FeedGenerations', () => {
  let nowMs = 1_000_000;
  const now = (): number => nowMs;
  const micros = (ms: number): number => ms * 1000;

  beforeEach(() => {
    nowMs = 1_000_000;
  });

  test('a collection first seen, or written for the first time, is not settling', () => {
    const g = new FeedGenerations(3000, now);
    g.note('a', micros(nowMs - 10));
    expect(g.settlingMs('a')).toBe(0);
    g.note('b', 0);
    g.note('b', micros(nowMs));
    expect(g.settlingMs('b')).toBe(0);
    expect(g.settlingMs('never-seen')).toBe(0);
  });

  test('a generation that changes under the process settles until its birth plus the period', () => {
    const g = new FeedGenerations(3000, now);
    g.note('a', micros(nowMs - 60_000));
    g.note('a', micros(nowMs - 1000));
    expect(g.settlingMs('a')).toBe(2000);
    expect(g.settlingMs('other')).toBe(0);
    nowMs += 2000;
    expect(g.settlingMs('a')).toBe(0);
  });

  test('a feed that vanished settles from then, and its next generation from its birth', () => {
    const g = new FeedGenerations(3000, now);
    g.note('a', micros(nowMs - 60_000));
    g.note('a', 0);
    expect(g.settlingMs('a')).toBe(3000);
    nowMs += 1000;
    g.note('a', micros(nowMs + 500));
    expect(g.settlingMs('a')).toBe(3500);
  });

  test('a loss reported by the coordinator settles every collection from now', () => {
    const g = new FeedGenerations(3000, now);
    g.noteLoss();
    expect(g.settlingMs('any')).toBe(3000);
    nowMs += 3000;
    expect(g.settlingMs('any')).toBe(0);
  });
});
