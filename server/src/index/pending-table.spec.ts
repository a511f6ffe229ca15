import { ManualClock } from '../common/manual-clock.js';
import { PendingTable } from './pending-table.js';

describe('PendingTable', () => {
  it('lists records by age, oldest first, up to the limit', () => {
    const clock = new ManualClock();
    const t = new PendingTable(clock);
    t.record('c', 'a', 1);
    clock.advance(100);
    t.record('c', 'b', 2);
    t.record('other', 'x', 3);
    clock.advance(50);
    expect(t.older('c', 151, 10)).toEqual([]);
    expect(t.older('c', 150, 10)).toEqual([{ id: 'a', seq: 1, ageMs: 150 }]);
    clock.advance(100);
    expect(t.older('c', 100, 10)).toEqual([
      { id: 'a', seq: 1, ageMs: 250 },
      { id: 'b', seq: 2, ageMs: 150 },
    ]);
    expect(t.older('c', 0, 1)).toEqual([{ id: 'a', seq: 1, ageMs: 250 }]);
  });

  it('clears a record only while it holds the given seq', () => {
    const clock = new ManualClock();
    const t = new PendingTable(clock);
    t.record('c', 'a', 1);
    t.record('c', 'a', 2); // a newer write of the same document
    t.clear('c', 'a', 1);
    expect(t.older('c', 0, 10)).toEqual([{ id: 'a', seq: 2, ageMs: 0 }]);
    t.clear('c', 'a', 2);
    expect(t.older('c', 0, 10)).toEqual([]);
  });
});
