import { parseRecord } from './feed-records.js';

describe('feed journal records', () => {
  it('parses allocations of every change op, expire included', () => {
    for (const op of ['put', 'delete', 'expire'] as const) {
      expect(parseRecord(JSON.stringify({ a: 7, id: 'd', op, p: 3, t: 1000 }))).toEqual({ a: 7, id: 'd', op, p: 3, t: 1000 });
    }
  });

  it('refuses an allocation with an unknown op', () => {
    expect(() => parseRecord(JSON.stringify({ a: 7, id: 'd', op: 'purge', p: 3, t: 1000 }))).toThrow(/malformed allocation/);
  });
});
