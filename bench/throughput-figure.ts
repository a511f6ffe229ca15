/**
 * Combines the slices of one target's throughput measurement (taken in
 * rounds, interleaved with other targets) into one figure.
 */
import type { LoadResult } from './load.js';
import { percentileOfSorted } from './stats.js';

/** One target's throughput over all its slices. */
export interface ThroughputFigure {
  /** Successful calls, all slices. */
  readonly calls: number;
  /** Failed calls, all slices. */
  readonly errors: number;
  /** Measured time, all slices, ms. */
  readonly elapsedMs: number;
  /** calls / elapsed: the figure compared against the baseline. */
  readonly callsPerSecond: number;
  /** Median of the slices' p50 latencies, ms. */
  readonly p50Ms: number;
  /** Largest of the slices' p99 latencies, ms. */
  readonly p99Ms: number;
  /** Mean CPU of the load process over the slices, % of one core. */
  readonly clientCpuPercent: number;
  /** Mean CPU of the server over the slices, % of one core (when measured). */
  readonly serverCpuPercent?: number;
  /**
   * Server CPU per successful call, µs: serverCpuPercent / callsPerSecond.
   * Less sensitive than calls/s to other load on the machine.
   */
  readonly serverCpuUsPerCall?: number;
  /** The first error message seen, if any call failed. */
  readonly firstError?: string;
  /** Every slice, in the order taken. */
  readonly slices: readonly LoadResult[];
}

/** Combines slices (at least one) into a ThroughputFigure. */
export function combineSlices(slices: readonly LoadResult[]): ThroughputFigure {
  if (slices.length === 0) throw new RangeError('no slices to combine');
  let calls = 0;
  let errors = 0;
  let elapsedMs = 0;
  let p99Ms = 0;
  let firstError: string | undefined;
  for (const s of slices) {
    calls += s.calls;
    errors += s.errors;
    elapsedMs += s.elapsedMs;
    p99Ms = Math.max(p99Ms, s.latency.p99);
    firstError ??= s.firstError;
  }
  const mean = (values: number[]) => Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 10) / 10;
  const serverCpu = slices.flatMap((s) => (s.serverCpuPercent === undefined ? [] : [s.serverCpuPercent]));
  const callsPerSecond = Math.round((calls * 1000) / elapsedMs);
  const serverCpuPercent = serverCpu.length === slices.length ? mean(serverCpu) : undefined;
  const p50s = slices.map((s) => s.latency.p50).sort((a, b) => a - b);
  return {
    calls,
    errors,
    elapsedMs,
    callsPerSecond,
    p50Ms: percentileOfSorted(p50s, 50),
    p99Ms,
    clientCpuPercent: mean(slices.map((s) => s.clientCpuPercent)),
    ...(serverCpuPercent === undefined
      ? {}
      : { serverCpuPercent, serverCpuUsPerCall: Math.round((serverCpuPercent * 10_000) / callsPerSecond) }),
    ...(firstError === undefined ? {} : { firstError }),
    slices,
  };
}
