import fc from 'fast-check';
import { compareUtf8 } from './compare.js';
import { prefixSuccessor, rangeFor } from './index-range.js';

describe('prefixSuccessor', () => {
  it('bounds exactly the strings starting with the prefix', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 4 }), fc.string({ unit: 'grapheme', maxLength: 6 }), (p, s) => {
        const succ = prefixSuccessor(p);
        const inRange = compareUtf8(s, p) >= 0 && (succ === undefined || compareUtf8(s, succ) < 0);
        expect(inRange).toBe(s.startsWith(p));
      }),
      { numRuns: 2000 },
    );
  });

  it('handles the edges', () => {
    expect(prefixSuccessor('ab')).toBe('ac');
    expect(prefixSuccessor('a\u{10FFFF}')).toBe('b');
    expect(prefixSuccessor('\u{10FFFF}')).toBeUndefined();
    expect(prefixSuccessor('a\uD7FF')).toBe('a\uE000');
  });
});

describe('rangeFor', () => {
  it('maps comparisons to ranges of the value type', () => {
    expect(rangeFor('gt', 3)).toEqual({ type: 'number', lower: { value: 3, inclusive: false } });
    expect(rangeFor('lte', 'm')).toEqual({ type: 'string', upper: { value: 'm', inclusive: true } });
    expect(rangeFor('eq', 1)).toEqual({ type: 'number', lower: { value: 1, inclusive: true }, upper: { value: 1, inclusive: true } });
    expect(rangeFor('starts_with', 'ab')).toEqual({
      type: 'string',
      lower: { value: 'ab', inclusive: true },
      upper: { value: 'ac', inclusive: false },
    });
    expect(rangeFor('starts_with', '')).toEqual({ type: 'string' });
    expect(rangeFor('gt', true)).toBeUndefined();
    expect(rangeFor('ne', 1)).toBeUndefined();
  });
});
