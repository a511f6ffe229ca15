import { eventAt } from './feed-test-kit.js';
import { replayRecords } from './feed-replay.js';

describe('replayRecords', () => {
  it('finds the counter, the unresolved allocations in revision order, and the events', () => {
    const e3 = eventAt(3, 1);
    const state = replayRecords([
      { a: 5, id: 'e', op: 'put', p: 0, t: 50 },
      { a: 3, id: 'c', op: 'delete', p: 2, t: 30 },
      { a: 4, id: 'd', op: 'put', p: 0, t: 40 },
      { a: 6, id: 'f', op: 'put', p: 1, t: 60 },
      { r: [3], e: e3 },
      { r: [5], e: null },
    ]);
    expect(state).toEqual({
      current: 6,
      floor: 0,
      pending: [
        { revision: 4, ref: { id: 'd', op: 'put', prevRevision: 0 }, allocatedAtMs: 40 },
        { revision: 6, ref: { id: 'f', op: 'put', prevRevision: 1 }, allocatedAtMs: 60 },
      ],
      events: [e3],
    });
  });

  it('keeps the first resolution of a revision, and narrows a later group to the rest', () => {
    const first = eventAt(7, 1, [{ id: 'first' }]);
    const state = replayRecords([
      { r: [7], e: first },
      { r: [7], e: eventAt(7, 2, [{ id: 'second' }]) },
      { r: [7, 8], e: eventAt(7, 3, [{ id: 'x' }, { id: 'y', revision: 8 }]) },
    ]);
    expect(state.events).toEqual([first, { ...eventAt(8, 3, [{ id: 'y' }]) }]);
  });

  it('takes the floor and the counter from floor records (their segments are gone)', () => {
    const state = replayRecords([
      { f: 10, c: 40 },
      { r: [12], e: eventAt(12, 1) },
      { f: 11, c: 41 },
    ]);
    expect(state).toMatchObject({ current: 41, floor: 11, pending: [] });
  });
});
