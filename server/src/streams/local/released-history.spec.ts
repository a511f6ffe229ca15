import { eventAt } from './feed-test-kit.js';
import { ReleasedHistory } from './released-history.js';

describe('ReleasedHistory', () => {
  it('reads after a revision by binary search, dropping from the front', () => {
    const h = new ReleasedHistory();
    const revs = Array.from({ length: 3000 }, (_, i) => 10 + 2 * i);
    for (const r of revs) h.push(eventAt(r, 1));
    expect(h.after(0, 3).map((e) => e.revision)).toEqual([10, 12, 14]);
    expect(h.after(11, 2).map((e) => e.revision)).toEqual([12, 14]);
    expect(h.after(12, 1).map((e) => e.revision)).toEqual([14]);
    expect(h.after(revs.at(-1)!, 5)).toEqual([]);
    expect(h.after(0, 0)).toEqual([]);
    for (let i = 0; i < 2500; i++) expect(h.dropFirst()?.revision).toBe(revs[i]); // compacts its array on the way
    expect(h.size).toBe(500);
    expect(h.first()?.revision).toBe(revs[2500]);
    expect(h.after(0, 2).map((e) => e.revision)).toEqual(revs.slice(2500, 2502));
    expect(h.after(revs[2600], 1).map((e) => e.revision)).toEqual([revs[2601]]);
    expect(h.all().map((e) => e.revision)).toEqual(revs.slice(2500));
    while (h.dropFirst());
    expect(h.size).toBe(0);
    expect(h.after(0, 10)).toEqual([]);
  });
});
