import { decodeEntry, decodePending, entryRevision, eventArgs, feedKeys, pendingFragment, registryKey } from './redis-feed-layout.js';

describe('feed keys', () => {
  it('puts every key of a collection under the index hash tag, so the feed and the counter share a slot', () => {
    expect(feedKeys('sb:', 'orders')).toEqual({
      seq: 'sb:{ix:orders}:seq',
      fp: 'sb:{ix:orders}:fp',
      fq: 'sb:{ix:orders}:fq',
      fb: 'sb:{ix:orders}:fb',
      fm: 'sb:{ix:orders}:fm',
      fs: 'sb:{ix:orders}:fs',
    });
    expect(registryKey('sb:')).toBe('sb:feed:collections');
  });
});

describe('feed formats', () => {
  it('round-trips a pending member as the allocate script wraps it', () => {
    const fragment = pendingFragment({ id: 'a"b', op: 'delete', prevRevision: 12, txid: 't1' });
    const member = `{"r":1800000000000001,${fragment},"t":1800000000000}`;
    expect(decodePending('c', member)).toEqual({
      collection: 'c',
      revision: 1800000000000001,
      ref: { id: 'a"b', op: 'delete', prevRevision: 12, txid: 't1' },
      allocatedAtMs: 1800000000000,
    });
    expect(decodePending('c', `{"r":5,${pendingFragment({ id: 'x', op: 'put', prevRevision: 0 })},"t":1}`).ref).toEqual({
      id: 'x',
      op: 'put',
      prevRevision: 0,
    });
  });

  it('splits an event into a header and its changes, which rebuild it exactly', () => {
    const event = {
      revision: 1800000000000001,
      txid: 'tx',
      commitTimeMs: 5,
      changes: [
        { id: 'a', op: 'put' as const, revision: 1800000000000001, prevRevision: 0 },
        { id: 'b', op: 'delete' as const, revision: 1800000000000002, prevRevision: 9 },
      ],
    };
    const [header, r1, c1, r2, c2] = eventArgs(event);
    expect([r1, r2]).toEqual(['1800000000000001', '1800000000000002']);
    const rebuilt = JSON.parse(`{"revision":${event.revision},${header},"changes":[${c1},${c2}]}`);
    expect(rebuilt).toEqual(event);
  });

  it('decodes a stream entry and its watermark, and the revision of an id', () => {
    const event = { revision: 7, commitTimeMs: 1, changes: [] };
    expect(decodeEntry(['e', JSON.stringify(event), 'w', '9'])).toEqual({ event, w: 9 });
    expect(decodeEntry(['e', JSON.stringify(event), 'w', '9', 'g', '1700000000000000'])).toEqual({
      event,
      w: 9,
      born: 1_700_000_000_000_000,
    });
    expect(entryRevision('1800000000000001-0')).toBe(1800000000000001);
  });
});
