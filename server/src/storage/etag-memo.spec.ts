import { decodeMemo, encodeMemo } from './etag-memo.js';

describe('etag memo', () => {
  it('round-trips a present etag and an absent key', () => {
    expect(decodeMemo(encodeMemo({ exists: true, etag: 'abc"def' }))).toEqual({ exists: true, etag: 'abc"def' });
    expect(decodeMemo(encodeMemo({ exists: false }))).toEqual({ exists: false });
  });

  it('reads no memo, an empty etag or an unknown format as unknown (the writer then asks the store)', () => {
    expect(decodeMemo(undefined)).toBeUndefined();
    expect(decodeMemo('e:')).toBeUndefined();
    expect(decodeMemo('v2:whatever')).toBeUndefined();
  });
});
