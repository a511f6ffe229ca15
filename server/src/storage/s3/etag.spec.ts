import { quoteEtag, unquoteEtag } from './etag.js';

describe('etag quoting', () => {
  it('strips quotes and W/, and leaves bare etags alone', () => {
    expect(unquoteEtag('"abc"')).toBe('abc');
    expect(unquoteEtag('W/"abc"')).toBe('abc');
    expect(unquoteEtag('abc')).toBe('abc');
    expect(unquoteEtag(undefined)).toBe('');
  });

  it('round-trips through quoteEtag', () => {
    expect(quoteEtag('9dd4e461268c8034f5c8564e155c67a6')).toBe('"9dd4e461268c8034f5c8564e155c67a6"');
    expect(unquoteEtag(quoteEtag('x-1'))).toBe('x-1');
  });
});
