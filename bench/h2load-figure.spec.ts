import { fakeFigure, fakeSlice } from './h2load-fixtures.js';
import { combineH2loadSlices, compareFigures } from './h2load-figure.js';

describe('combineH2loadSlices', () => {
  it('sums calls and time, and divides the server CPU by the calls', () => {
    const f = combineH2loadSlices([fakeSlice(3000, 1, 1122, 600, 150), fakeSlice(1000, 1, 1122, 400, 50)], 1122, 'memory');
    expect(f.calls).toBe(4000);
    expect(f.elapsedMs).toBe(2000);
    expect(f.callsPerSecond).toBe(2000);
    expect(f.serverCpuUsPerCall).toBe(250); // 1000 ms over 4000 calls
    expect(f.serverCpuPercent).toBe(50);
    expect(f.loadCpuPercent).toBe(10);
    expect(f.dataBytesPerCall).toBe(1122);
    expect(f.slices).toHaveLength(2);
  });

  it('refuses a run where h2load saw failures or non-2xx statuses', () => {
    const bad = { ...fakeSlice(100, 1, 1122, 10, 1), errors: 3 };
    expect(() => combineH2loadSlices([bad], 1122, 'echo')).toThrow(/echo: 3 h2load requests failed/);
  });

  it('refuses a run whose data per call is not the expected response (gRPC errors come as HTTP 200)', () => {
    // 10 % of the calls answered with a gRPC error: trailers only, no message.
    const slice = fakeSlice(1000, 1, 1122, 100, 10);
    const withErrors = { ...slice, summary: { ...slice.summary, dataBytes: 900 * 1122 } };
    expect(() => combineH2loadSlices([withErrors], 1122, 'memory')).toThrow(/1009.8 response bytes per call, expected 1122/);
  });

  it('refuses no slices at all, and slices without one completed call', () => {
    expect(() => combineH2loadSlices([], 1122, 'x')).toThrow(RangeError);
    expect(() => combineH2loadSlices([fakeSlice(0, 1, 1122, 1, 1)], 1122, 'x')).toThrow(/no request/);
  });
});

describe('compareFigures', () => {
  it('gives calls/s and CPU-per-call ratios of every target against every baseline present', () => {
    const figures = { echo: fakeFigure(4000, 100), 'echo-pre-encoded': fakeFigure(5000, 80), memory: fakeFigure(3000, 140) };
    expect(compareFigures(figures, ['memory', 'filesystem'], ['echo', 'echo-pre-encoded'])).toEqual([
      { target: 'memory', baseline: 'echo', callsRatio: 0.75, cpuPerCallRatio: 1.4 },
      { target: 'memory', baseline: 'echo-pre-encoded', callsRatio: 0.6, cpuPerCallRatio: 1.75 },
    ]);
  });
});
