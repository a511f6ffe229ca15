import type { FeedEvent } from '../change-feed.js';
import { RecentRing } from './recent-ring.js';

function entry(revision: number, w = revision): { event: FeedEvent; w: number } {
  return { event: { revision, commitTimeMs: 1, changes: [] }, w };
}

describe('RecentRing', () => {
  it('answers pages after a revision it holds, with the newest watermark', () => {
    const ring = new RecentRing(10);
    ring.push([entry(10), entry(20), entry(30, 35)]);
    expect(ring.page(10, 5)).toEqual({ events: [entry(20).event, entry(30).event], watermark: 35 });
    expect(ring.page(15, 5)?.events.map((e) => e.revision)).toEqual([20, 30]);
    expect(ring.page(35, 5)).toEqual({ events: [], watermark: 35 });
  });

  it('returns at most limit events', () => {
    const ring = new RecentRing(10);
    ring.push([entry(10), entry(20), entry(30), entry(40, 45)]);
    expect(ring.page(10, 2)).toEqual({ events: [entry(20).event, entry(30).event], watermark: 45 });
    expect(ring.page(20, 2)?.events.map((e) => e.revision)).toEqual([30, 40]);
  });

  it('refuses what it cannot answer: before its first event, past its watermark, when empty', () => {
    const ring = new RecentRing(10);
    expect(ring.page(0, 5)).toBeUndefined();
    ring.push([entry(10), entry(20)]);
    expect(ring.page(9, 5)).toBeUndefined();
    expect(ring.page(21, 5)).toBeUndefined();
  });

  it('keeps only the newest entries and forgets all on clear', () => {
    const ring = new RecentRing(2);
    ring.push([entry(10), entry(20), entry(30)]);
    expect(ring.size).toBe(2);
    expect(ring.page(10, 5)).toBeUndefined();
    expect(ring.page(20, 5)?.events.map((e) => e.revision)).toEqual([30]);
    ring.clear();
    expect(ring.size).toBe(0);
    expect(ring.watermark).toBe(0);
  });
});
