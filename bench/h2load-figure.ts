/**
 * One target's figure over its interleaved h2load slices, and the ratios of
 * our server against a baseline: calls/s and server CPU per call.
 */
import type { H2loadSlice } from './h2load-run.js';
import { round } from './stats.js';

/** A target's throughput and CPU over all its slices. */
export interface H2loadFigure {
  /** Requests answered 2xx, all slices. */
  readonly calls: number;
  /** Requests failed, errored, timed out or not 2xx, all slices. */
  readonly errors: number;
  /** Measured time as h2load reported it, all slices, ms. */
  readonly elapsedMs: number;
  /** calls ÷ elapsed. */
  readonly callsPerSecond: number;
  /** Server CPU ÷ calls, µs: the figure other load on the machine moves least. */
  readonly serverCpuUsPerCall: number;
  /** Server CPU over the slices' wall time, % of one core. */
  readonly serverCpuPercent: number;
  /** h2load's CPU over the same wall time, % of one core (near 100: the generator is the bound). */
  readonly loadCpuPercent: number;
  /** Mean request time over all calls, ms. */
  readonly meanRequestMs: number;
  /** Response DATA bytes h2load received ÷ calls. */
  readonly dataBytesPerCall: number;
  /** The framed response a real client got from this target, bytes. */
  readonly expectedBytesPerCall: number;
  /** Every slice, in the order taken. */
  readonly slices: readonly H2loadSlice[];
}

/**
 * Combines slices (at least one) of a target whose framed response is
 * `expectedBytesPerCall` bytes. Throws when a call failed, or when the data
 * received per call is not the expected response (h2load counts a gRPC error,
 * sent as HTTP 200 with no message, as a success: the bytes tell).
 */
export function combineH2loadSlices(slices: readonly H2loadSlice[], expectedBytesPerCall: number, name: string): H2loadFigure {
  if (slices.length === 0) throw new RangeError('no slices to combine');
  const sum = (f: (s: H2loadSlice) => number) => slices.reduce((a, s) => a + f(s), 0);
  const calls = sum((s) => s.summary.status['2xx']);
  const errors = sum((s) => s.errors);
  const elapsedMs = sum((s) => s.summary.elapsedSeconds * 1000);
  const wallMs = sum((s) => s.wallMs);
  const dataBytes = sum((s) => s.summary.dataBytes);
  if (errors > 0) throw new Error(`${name}: ${errors} h2load requests failed or were not 2xx`);
  if (calls === 0) throw new Error(`${name}: h2load completed no request`);
  const dataBytesPerCall = round(dataBytes / calls, 1);
  // In-flight responses at the end of a timed run may add a few frames: allow 0.1 %.
  if (Math.abs(dataBytesPerCall - expectedBytesPerCall) > expectedBytesPerCall * 0.001) {
    throw new Error(
      `${name}: ${dataBytesPerCall} response bytes per call, expected ${expectedBytesPerCall}: some calls did not return the document`,
    );
  }
  return {
    calls,
    errors,
    elapsedMs: Math.round(elapsedMs),
    callsPerSecond: Math.round((calls * 1000) / elapsedMs),
    serverCpuUsPerCall: round((sum((s) => s.serverCpuMs) * 1000) / calls, 1),
    serverCpuPercent: round((sum((s) => s.serverCpuMs) * 100) / wallMs, 1),
    loadCpuPercent: round((sum((s) => s.loadCpuMs) * 100) / wallMs, 1),
    meanRequestMs: round(sum((s) => s.summary.meanRequestMs * s.summary.status['2xx']) / calls, 3),
    dataBytesPerCall,
    expectedBytesPerCall,
    slices,
  };
}

/** One target against one baseline. */
export interface H2loadComparison {
  /** The measured target, e.g. "memory". */
  readonly target: string;
  /** The baseline, e.g. "echo". */
  readonly baseline: string;
  /** target calls/s ÷ baseline calls/s (higher is better). */
  readonly callsRatio: number;
  /** target CPU per call ÷ baseline CPU per call (lower is better). */
  readonly cpuPerCallRatio: number;
}

/** Ratios of each target against each baseline, both by name in `figures`. */
export function compareFigures(
  figures: Readonly<Record<string, H2loadFigure>>,
  targets: readonly string[],
  baselines: readonly string[],
): H2loadComparison[] {
  const out: H2loadComparison[] = [];
  for (const target of targets) {
    const t = figures[target];
    if (!t) continue;
    for (const baseline of baselines) {
      const b = figures[baseline];
      if (!b) continue;
      out.push({
        target,
        baseline,
        callsRatio: round(t.callsPerSecond / b.callsPerSecond, 3),
        cpuPerCallRatio: round(t.serverCpuUsPerCall / b.serverCpuUsPerCall, 3),
      });
    }
  }
  return out;
}
