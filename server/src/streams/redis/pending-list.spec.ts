import { pendingOf } from './pending-list.js';

const member = (r: number, id: string, t: number): string => JSON.stringify({ r, id, op: 'put', p: 0, t });

describe('pendingOf', () => {
  it('lists every collection’s members allocated at or before the time, oldest allocation first', () => {
    const out = pendingOf(
      ['b', 'a'],
      [
        [null, [member(5, 'x', 20), member(9, 'y', 40)]],
        [null, [member(7, 'z', 20), member(3, 'w', 10)]],
      ],
      20,
    );
    expect(out.map((p) => [p.collection, p.revision])).toEqual([
      ['a', 3],
      ['b', 5],
      ['a', 7],
    ]);
    expect(out[0]).toEqual({ collection: 'a', revision: 3, ref: { id: 'w', op: 'put', prevRevision: 0 }, allocatedAtMs: 10 });
  });

  it('fails when a collection’s reply is an error or missing', () => {
    expect(() => pendingOf(['a'], [[new Error('boom'), null]], Infinity)).toThrow('boom');
    expect(() => pendingOf(['a'], [], Infinity)).toThrow(/no reply for a/);
  });
});
