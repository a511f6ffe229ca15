import { makeDocument, makeDocumentBytes } from './payload.js';

describe('makeDocument', () => {
  it.each([200, 1024, 4096])('encodes to exactly %i JSON bytes', (n) => {
    expect(Buffer.byteLength(JSON.stringify(makeDocument(n)))).toBe(n);
    expect(makeDocumentBytes(n).length).toBe(n);
  });

  it('rejects sizes too small for its fixed fields', () => {
    expect(() => makeDocument(100)).toThrow(RangeError);
  });
});
