import { median, percentileOfSorted, round, summarize } from './stats.js';

describe('percentileOfSorted', () => {
  it('uses the nearest rank', () => {
    const s = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentileOfSorted(s, 50)).toBe(5);
    expect(percentileOfSorted(s, 90)).toBe(9);
    expect(percentileOfSorted(s, 99)).toBe(10);
    expect(percentileOfSorted(s, 100)).toBe(10);
    expect(percentileOfSorted(s, 1)).toBe(1);
  });

  it('returns the only sample of a single-sample set', () => {
    expect(percentileOfSorted([7], 50)).toBe(7);
    expect(percentileOfSorted([7], 99)).toBe(7);
  });

  it('rejects an empty set and percentiles outside (0, 100]', () => {
    expect(() => percentileOfSorted([], 50)).toThrow(RangeError);
    expect(() => percentileOfSorted([1], 0)).toThrow(RangeError);
    expect(() => percentileOfSorted([1], 101)).toThrow(RangeError);
    expect(() => percentileOfSorted([1], Number.NaN)).toThrow(RangeError);
  });
});

describe('summarize', () => {
  it('sorts numerically, not lexically, and leaves the input alone', () => {
    const input = [10, 9, 100, 2, 1];
    const s = summarize(input);
    expect(input).toEqual([10, 9, 100, 2, 1]);
    expect(s).toEqual({ count: 5, mean: 24.4, min: 1, p50: 9, p90: 100, p99: 100, max: 100 });
  });

  it('gives p99 of 1..1000 as 990', () => {
    const s = summarize(Array.from({ length: 1000 }, (_, i) => 1000 - i));
    expect(s.p50).toBe(500);
    expect(s.p90).toBe(900);
    expect(s.p99).toBe(990);
  });

  it('rejects no samples', () => {
    expect(() => summarize([])).toThrow(RangeError);
  });
});

describe('round', () => {
  it('rounds to the given decimals', () => {
    expect(round(1.23456, 2)).toBe(1.23);
    expect(round(1.23556)).toBe(1.236);
  });
});

describe('median', () => {
  it('takes the middle of an odd count and the mean of the middle two of an even count, numerically, leaving the input alone', () => {
    const input = [10, 9, 100];
    expect(median(input)).toBe(10);
    expect(input).toEqual([10, 9, 100]);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('refuses an empty list', () => {
    expect(() => median([])).toThrow(RangeError);
  });
});
