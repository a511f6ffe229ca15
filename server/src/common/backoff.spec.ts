import fc from 'fast-check';
import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  it('stays within [0, min(max, base * 2^attempt)]', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempt, r) => {
        const d = backoffDelay(attempt, { baseMs: 5, maxMs: 200, random: () => r });
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(Math.min(200, 5 * 2 ** attempt));
        expect(Number.isInteger(d)).toBe(true);
      }),
    );
  });

  it('grows with the attempt until the cap', () => {
    const top = (a: number): number => backoffDelay(a, { baseMs: 5, maxMs: 200, random: () => 0.999999 });
    expect([0, 1, 2, 3, 4, 5, 6, 50].map(top)).toEqual([5, 10, 20, 40, 80, 160, 200, 200]);
  });
});
