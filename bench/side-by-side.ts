/**
 * The "same run, side by side" method of the cost benchmarks (issue 14's
 * crypt and security benches): several servers that differ in one setting
 * are measured in the same run so that a loaded machine's noise hits every
 * side alike. Latency: sequential calls alternating side by side (the order
 * rotated each step, so no side always goes first). Throughput: every side
 * at once with the same number of callers over the same window (equal shares
 * of the machine). Server CPU per call: /proc before and after. Then the
 * medians over rounds of each side, which the report modules compare.
 */
import { processCpuMs } from './cpu-time.js';
import type { LatencySummary } from './stats.js';
import { median, round, roundSummary, summarize } from './stats.js';

/** One call of side `side` (0-based), its `i`-th of the measurement. */
export type SideCall = (side: number, i: number) => Promise<unknown>;

/** What the sequential calls of every side took: wall time and this process's (the caller's) CPU. */
export interface LatencySamples {
  /** Wall ms of each call, per side. */
  readonly samples: number[][];
  /** CPU ms this process spent inside each side's calls, summed per side (the client's share of a call). */
  readonly clientCpuMs: number[];
}

/**
 * Latency samples (ms) of `count` sequential calls per side, the sides taking
 * turns call by call: step i calls side i mod n first, then the next, round
 * the circle. Also this process's CPU during each side's calls: calls are
 * sequential, so that is the client's work for that side's calls.
 */
export async function interleavedLatency(sides: number, count: number, call: SideCall): Promise<LatencySamples> {
  const samples: number[][] = Array.from({ length: sides }, () => []);
  const clientCpuMs: number[] = Array.from({ length: sides }, () => 0);
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < sides; k++) {
      const side = (i + k) % sides;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await call(side, i);
      samples[side].push(performance.now() - t0);
      const cpu = process.cpuUsage(cpu0);
      clientCpuMs[side] += (cpu.user + cpu.system) / 1000;
    }
  }
  return { samples, clientCpuMs };
}

/** What one side did in a throughput window. */
export interface WindowCount {
  /** Calls per second over the window (and the calls still in flight at its end). */
  readonly rate: number;
  /** Calls started. */
  readonly calls: number;
}

/**
 * Every side at once: `concurrency` callers per side each start calls until
 * `ms` have passed (then finish the one in flight). Returns per side the calls
 * per second and how many calls were made.
 */
export async function concurrentThroughput(sides: number, concurrency: number, ms: number, call: SideCall): Promise<WindowCount[]> {
  const t0 = performance.now();
  const until = t0 + ms;
  return Promise.all(
    Array.from({ length: sides }, async (_, side) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (performance.now() < until) await call(side, next++);
        }),
      );
      return { rate: round(next / ((performance.now() - t0) / 1000), 1), calls: next };
    }),
  );
}

/**
 * CPU ms each process in `pids` spent while `work` ran (undefined for a pid
 * without /proc figures), and what `work` returned.
 */
export async function cpuDuring<T>(
  pids: readonly (number | undefined)[],
  work: () => Promise<T>,
): Promise<{ result: T; cpuMs: (number | undefined)[] }> {
  const before = pids.map((p) => (p === undefined ? undefined : processCpuMs(p)));
  const result = await work();
  const cpuMs = pids.map((p, i) => {
    const a = before[i];
    const b = p === undefined ? undefined : processCpuMs(p);
    return a === undefined || b === undefined ? undefined : b - a;
  });
  return { result, cpuMs };
}

/** What one side measured in one round. */
export interface SideRound {
  /** Latency of the sequential (interleaved) calls, ms. */
  readonly latency: LatencySummary;
  /** Calls per second with the run's concurrency, all sides at once. */
  readonly callsPerSecond: number;
  /** CPU ms of the side's server process per call over the round (from /proc; absent elsewhere). */
  readonly serverCpuMsPerCall?: number;
  /** CPU ms of the calling process per sequential call (its TLS, encoding, HTTP/2 work for one call). */
  readonly clientCpuMsPerCall?: number;
}

/** One round's figures of one side: its latency samples and client CPU, its window, and its server's CPU over both. */
export function sideRound(samples: readonly number[], window: WindowCount, cpuMs: number | undefined, clientCpuMs?: number): SideRound {
  const calls = samples.length + window.calls;
  return {
    latency: roundSummary(summarize(samples)),
    callsPerSecond: window.rate,
    ...(cpuMs === undefined || calls === 0 ? {} : { serverCpuMsPerCall: round(cpuMs / calls, 4) }),
    ...(clientCpuMs === undefined ? {} : { clientCpuMsPerCall: round(clientCpuMs / samples.length, 4) }),
  };
}

/** One side over all rounds: the rounds and their medians. */
export interface SideSummary {
  readonly rounds: SideRound[];
  /** Median over rounds of the p50, ms. */
  readonly p50Ms: number;
  /** Median over rounds of the p99, ms. */
  readonly p99Ms: number;
  /** Median over rounds of the calls per second. */
  readonly callsPerSecond: number;
  /** Median over rounds of the server's CPU ms per call, when every round measured it. */
  readonly serverCpuMsPerCall?: number;
  /** Median over rounds of the client's CPU ms per sequential call, when every round measured it. */
  readonly clientCpuMsPerCall?: number;
}

/** The medians of one side's rounds (at least one). */
export function summarizeSide(rounds: SideRound[]): SideSummary {
  return {
    rounds,
    p50Ms: round(median(rounds.map((r) => r.latency.p50))),
    p99Ms: round(median(rounds.map((r) => r.latency.p99))),
    callsPerSecond: round(median(rounds.map((r) => r.callsPerSecond)), 1),
    ...(rounds.every((r) => r.serverCpuMsPerCall !== undefined)
      ? { serverCpuMsPerCall: round(median(rounds.map((r) => r.serverCpuMsPerCall!)), 4) }
      : {}),
    ...(rounds.every((r) => r.clientCpuMsPerCall !== undefined)
      ? { clientCpuMsPerCall: round(median(rounds.map((r) => r.clientCpuMsPerCall!)), 4) }
      : {}),
  };
}
