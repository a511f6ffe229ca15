import type { LoadResult } from './load.js';
import { combineSlices } from './throughput-figure.js';

const slice = (calls: number, elapsedMs: number, p50: number, p99: number, firstError?: string, cpu = 50): LoadResult => ({
  calls,
  errors: firstError ? 1 : 0,
  elapsedMs,
  callsPerSecond: Math.round((calls * 1000) / elapsedMs),
  ...(firstError ? { firstError } : {}),
  latency: { count: calls, mean: p50, min: p50, p50, p90: p99, p99, max: p99 },
  clientCpuPercent: cpu,
  serverCpuPercent: cpu * 2,
});

describe('combineSlices', () => {
  it('weights calls/s by time, takes the median p50 and the worst p99', () => {
    const f = combineSlices([
      slice(1000, 1000, 2, 9, undefined, 40),
      slice(3000, 1000, 1, 5, 'x', 50),
      slice(2000, 2000, 3, 7, undefined, 60),
    ]);
    expect(f.calls).toBe(6000);
    expect(f.elapsedMs).toBe(4000);
    expect(f.callsPerSecond).toBe(1500);
    expect(f.p50Ms).toBe(2);
    expect(f.p99Ms).toBe(9);
    expect(f.errors).toBe(1);
    expect(f.firstError).toBe('x');
    expect(f.slices).toHaveLength(3);
    expect(f.clientCpuPercent).toBe(50);
    expect(f.serverCpuPercent).toBe(100);
    // one full core for 1500 calls/s: 667 µs per call
    expect(f.serverCpuUsPerCall).toBe(667);
  });

  it('reports no server CPU unless every slice measured it', () => {
    const { serverCpuPercent: _omit, ...noServer } = slice(10, 10, 1, 1);
    expect(combineSlices([slice(10, 10, 1, 1), noServer]).serverCpuPercent).toBeUndefined();
  });

  it('rejects no slices', () => {
    expect(() => combineSlices([])).toThrow(RangeError);
  });
});
