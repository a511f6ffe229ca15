import { CollectionState, narrowEvent } from './collection-state.js';
import { eventAt, putRef } from './feed-test-kit.js';

describe('CollectionState claims', () => {
  it('lets one resolution claim a revision; an undone claim makes it claimable again', () => {
    const s = new CollectionState('c', 100, { retainCount: 10, retainMs: 1e9 }, () => 0);
    const a = s.allocate(putRef('a'), 0);
    const b = s.allocate(putRef('b'), 0);
    expect([a, b]).toEqual([101, 102]);
    expect(s.claim([b, a, a, 999])).toEqual([a, b]);
    expect(s.claim([a])).toEqual([]);
    expect(s.isPending(a)).toBe(true); // still holds the watermark back until settled
    expect(s.watermark()).toBe(100);
    s.unclaim([a]);
    expect(s.claim([a, b])).toEqual([a]);
    const r = s.settle([a, b], null);
    expect(r).toEqual({ events: [], watermark: 102, advanced: true });
  });

  it('refuses revisions beyond the safe integers', () => {
    const s = new CollectionState('c', Number.MAX_SAFE_INTEGER, { retainCount: 10, retainMs: 1e9 }, () => 0);
    expect(() => s.allocate(putRef('a'), 0)).toThrow(/MAX_SAFE_INTEGER/);
  });
});

describe('narrowEvent', () => {
  const group = eventAt(5, 1, [{ id: 'a' }, { id: 'b', revision: 6 }, { id: 'c', revision: 7 }]);
  it('keeps the event when every revision was taken', () => {
    expect(narrowEvent(group, [7, 5, 6], [5, 6, 7])).toBe(group);
  });
  it('drops the changes of revisions resolved by someone else and moves the event to the smallest taken', () => {
    expect(narrowEvent(group, [5, 6, 7], [6, 7])).toEqual({ ...group, revision: 6, changes: group.changes.slice(1) });
  });
  it('is a hole when nothing is left', () => {
    expect(narrowEvent(group, [5, 6, 7], [])).toBeNull();
    expect(narrowEvent(eventAt(5, 1), [5, 6], [6])).toBeNull();
    expect(narrowEvent(null, [5], [5])).toBeNull();
  });
});
