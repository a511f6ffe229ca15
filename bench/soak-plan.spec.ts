import { callsDue, dueAtMs, planCall, seededRandom, type PlannedCall } from './soak-plan.js';

describe('seededRandom', () => {
  it('replays the same sequence from the same seed and stays in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    for (let i = 0; i < 1000; i++) {
      const x = a();
      expect(x).toBe(b());
      expect(x >= 0 && x < 1).toBe(true);
    }
  });
});

describe('planCall', () => {
  it('follows the default mix: 40/20/20/20, 5 % of streams cancelled, 1 % stalled, ports half and half', () => {
    const random = seededRandom(7);
    const calls: PlannedCall[] = Array.from({ length: 200_000 }, () => planCall(random));
    const share = (f: (c: PlannedCall) => boolean, of: PlannedCall[] = calls) => of.filter(f).length / of.length;
    expect(share((c) => c.method === 'get')).toBeCloseTo(0.4, 2);
    expect(share((c) => c.method === 'put')).toBeCloseTo(0.2, 2);
    expect(share((c) => c.method === 'query')).toBeCloseTo(0.2, 2);
    expect(share((c) => c.method === 'batchGet')).toBeCloseTo(0.2, 2);
    expect(share((c) => c.port === 1)).toBeCloseTo(0.5, 2);
    const streams = calls.filter((c) => c.method === 'query' || c.method === 'batchGet');
    expect(share((c) => c.behaviour === 'cancel', streams)).toBeCloseTo(0.05, 2);
    expect(share((c) => c.behaviour === 'stall', streams)).toBeCloseTo(0.01, 2);
    expect(calls.filter((c) => c.method === 'get' || c.method === 'put').every((c) => c.behaviour === 'read')).toBe(true);
  });

  it('rejects a mix whose method shares do not sum to 1', () => {
    const mix = { get: 0.5, put: 0.5, query: 0.5, batchGet: 0, cancelStreams: 0, stallStreams: 0 };
    expect(() => planCall(Math.random, mix)).toThrow(RangeError);
  });
});

describe('open-loop schedule', () => {
  it('has rate × seconds calls due after that many seconds, the first at 0', () => {
    expect(callsDue(-1, 200)).toBe(0);
    expect(callsDue(0, 200)).toBe(1);
    expect(callsDue(4.99, 200)).toBe(1);
    expect(callsDue(5, 200)).toBe(2);
    expect(callsDue(1000, 200)).toBe(201);
    expect(dueAtMs(200, 200)).toBe(1000);
    for (let i = 0; i < 1000; i++) expect(callsDue(dueAtMs(i, 37), 37)).toBeGreaterThanOrEqual(i + 1);
  });
});
