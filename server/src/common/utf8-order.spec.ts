import fc from 'fast-check';
import { compareUtf8, sortsLikeUtf16 } from './utf8-order.js';

const sign = (n: number): number => Math.sign(n);

describe('compareUtf8', () => {
  it('agrees with Buffer.compare of the UTF-8 bytes for any well-formed strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 8 }), (a, b) => {
        expect(sign(compareUtf8(a, b))).toBe(sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }),
      { numRuns: 2000 },
    );
  });

  it('puts an astral character after U+FFFD (where UTF-16 order would not)', () => {
    expect(compareUtf8('😀', '\ufffd')).toBeGreaterThan(0);
    expect('😀' < '\ufffd').toBe(true);
  });

  it('sortsLikeUtf16 is false exactly when a unit ≥ U+D800 appears', () => {
    expect(sortsLikeUtf16('abc-é日')).toBe(true);
    expect(sortsLikeUtf16('a😀')).toBe(false);
    expect(sortsLikeUtf16('\ue000')).toBe(false);
  });
});
