import { openRangeHeader, rangeHeader, resolveRange, sizeFromContentRange } from './byte-range.js';

describe('resolveRange', () => {
  it('no range is the whole body', () => {
    expect(resolveRange(undefined, 10)).toEqual({ start: 0, length: 10 });
    expect(resolveRange(undefined, 0)).toEqual({ start: 0, length: 0 });
  });

  it('an offset alone reads to the end; a length past the end is cut', () => {
    expect(resolveRange({ offset: 3 }, 10)).toEqual({ start: 3, length: 7 });
    expect(resolveRange({ offset: 3, length: 4 }, 10)).toEqual({ start: 3, length: 4 });
    expect(resolveRange({ offset: 8, length: 100 }, 10)).toEqual({ start: 8, length: 2 });
  });

  it('an offset at the end or a zero length reads nothing', () => {
    expect(resolveRange({ offset: 10 }, 10)).toEqual({ start: 10, length: 0 });
    expect(resolveRange({ offset: 2, length: 0 }, 10)).toEqual({ start: 2, length: 0 });
    expect(resolveRange({ offset: 0 }, 0)).toEqual({ start: 0, length: 0 });
  });

  it('an offset past the end is out_of_range; negative or fractional numbers are invalid', () => {
    expect(() => resolveRange({ offset: 11 }, 10)).toThrow(expect.objectContaining({ kind: 'out_of_range', field: 'range' }));
    expect(() => resolveRange({ offset: -1 }, 10)).toThrow(expect.objectContaining({ kind: 'invalid' }));
    expect(() => resolveRange({ offset: 1.5 }, 10)).toThrow(expect.objectContaining({ kind: 'invalid' }));
    expect(() => resolveRange({ offset: 0, length: -2 }, 10)).toThrow(expect.objectContaining({ kind: 'invalid' }));
  });
});

describe('rangeHeader', () => {
  it('is inclusive of the last byte', () => {
    expect(rangeHeader({ start: 0, length: 1 })).toBe('bytes=0-0');
    expect(rangeHeader({ start: 5, length: 10 })).toBe('bytes=5-14');
  });

  it('has no form for an empty range', () => {
    expect(() => rangeHeader({ start: 5, length: 0 })).toThrow();
  });
});

describe('sizeFromContentRange', () => {
  it('reads the total size, or undefined when absent or unknown', () => {
    expect(sizeFromContentRange('bytes 0-9/100')).toBe(100);
    expect(sizeFromContentRange('bytes */42')).toBe(42);
    expect(sizeFromContentRange('bytes 0-9/*')).toBeUndefined();
    expect(sizeFromContentRange(undefined)).toBeUndefined();
  });
});

describe('openRangeHeader', () => {
  it('is open-ended without a length, inclusive with one', () => {
    expect(openRangeHeader({ offset: 7 })).toBe('bytes=7-');
    expect(openRangeHeader({ offset: 7, length: 3 })).toBe('bytes=7-9');
  });
});
