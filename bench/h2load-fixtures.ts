/**
 * Test data for the h2load report specs: a slice and a figure with chosen
 * figures. Not used by the benchmark itself.
 */
import type { H2loadFigure } from './h2load-figure.js';
import type { H2loadSlice } from './h2load-run.js';

/** A clean slice: `calls` answered 2xx in `seconds`, `bytes` of data per call, the given CPU. */
export function fakeSlice(calls: number, seconds: number, bytes: number, serverCpuMs: number, loadCpuMs: number): H2loadSlice {
  return {
    summary: {
      elapsedSeconds: seconds,
      requestsPerSecond: calls / seconds,
      total: calls,
      succeeded: calls,
      failed: 0,
      errored: 0,
      timeout: 0,
      status: { '2xx': calls, '3xx': 0, '4xx': 0, '5xx': 0 },
      dataBytes: calls * bytes,
      meanRequestMs: 2,
    },
    errors: 0,
    serverCpuMs,
    loadCpuMs,
    wallMs: seconds * 1000,
  };
}

/** A figure with the given calls/s and server CPU per call (other fields plausible). */
export function fakeFigure(callsPerSecond: number, serverCpuUsPerCall: number): H2loadFigure {
  return {
    calls: callsPerSecond,
    errors: 0,
    elapsedMs: 1000,
    callsPerSecond,
    serverCpuUsPerCall,
    serverCpuPercent: 90,
    loadCpuPercent: 20,
    meanRequestMs: 4,
    dataBytesPerCall: 1122,
    expectedBytesPerCall: 1122,
    slices: [fakeSlice(callsPerSecond, 1, 1122, 900, 200)],
  };
}
