/**
 * The parallel S3 Get benchmark's figures and presentation: per side (our
 * server's Get, the raw SDK's GetObject) the calls answered, calls/s, latency
 * summary and CPU per call; the ratio ours ÷ raw with its verdict; the
 * console table and the markdown written beside the JSON in bench/results/.
 */
import type { RunMachine } from './batch-report.js';
import { round, type LatencySummary } from './stats.js';

/** The throughput ours must reach, as a fraction of the raw SDK's (calls/s ours ÷ raw). */
export const PARALLEL_THROUGHPUT_TARGET = 0.9;

/** What one side did over all its measured slices. */
export interface ParallelSide {
  /** Calls answered in the measured slices. */
  readonly calls: number;
  /** Sum of the measured slices' wall time, s. */
  readonly seconds: number;
  /** calls / seconds. */
  readonly callsPerSecond: number;
  /** Latency of each call, ms. */
  readonly latency: LatencySummary;
  /**
   * CPU of the processes doing this side's work, per call, µs: for ours the
   * server process (its S3 client included); for raw the bench process while
   * it ran the raw loops (the SDK's CPU, the bench's loop around it included).
   * Absent where /proc is missing.
   */
  readonly cpuMicrosPerCall?: number;
  /** For ours only: the bench process's CPU per call while it drove our server (the gRPC client), µs. */
  readonly clientCpuMicrosPerCall?: number;
}

/** The raw measurement of one side, before the rates are derived. */
export interface SideSamples {
  /** Calls answered. */
  readonly calls: number;
  /** Wall time, s. */
  readonly seconds: number;
  /** Latency samples, ms (summarised by the caller). */
  readonly latency: LatencySummary;
  /** CPU ms of the side's process over the slices, when known. */
  readonly cpuMs?: number;
  /** CPU ms of the bench client over the slices (ours only), when known. */
  readonly clientCpuMs?: number;
}

/** The derived figures of one side. */
export function sideResult(s: SideSamples): ParallelSide {
  const perCall = (ms: number | undefined) => (ms === undefined || s.calls === 0 ? undefined : round((1000 * ms) / s.calls, 1));
  const cpu = perCall(s.cpuMs);
  const client = perCall(s.clientCpuMs);
  return {
    calls: s.calls,
    seconds: round(s.seconds, 3),
    callsPerSecond: s.seconds > 0 ? round(s.calls / s.seconds, 1) : 0,
    latency: s.latency,
    ...(cpu === undefined ? {} : { cpuMicrosPerCall: cpu }),
    ...(client === undefined ? {} : { clientCpuMicrosPerCall: client }),
  };
}

/** A whole run, as written to the JSON. */
export interface ParallelRun {
  /** Start, ISO 8601. */
  readonly when: string;
  /** End, ISO 8601. */
  readonly finishedAt: string;
  /** The machine, with the 1/5/15-minute load averages at start and end. */
  readonly machine: RunMachine;
  /** What was run. */
  readonly parameters: {
    /** Calls in flight on each side. */
    readonly concurrency: number;
    /** One-way delay of the proxy between every client and S3, ms (RTT = 2×). */
    readonly oneWayDelayMs: number;
    /** Interleaved slices per side. */
    readonly rounds: number;
    /** Measured seconds per slice. */
    readonly sliceSeconds: number;
    /** Object / document JSON size, bytes. */
    readonly documentBytes: number;
  };
  /** Our server's DocumentService.Get (server on S3 through the proxy). */
  readonly ours: ParallelSide;
  /** Raw @aws-sdk/client-s3 GetObject from the bench process through the same proxy. */
  readonly raw: ParallelSide;
  /** ours.callsPerSecond / raw.callsPerSecond. */
  readonly throughputRatio: number;
  /** ours.latency.p50 / raw.latency.p50. */
  readonly p50Ratio: number;
  /** Whether throughputRatio ≥ PARALLEL_THROUGHPUT_TARGET. */
  readonly pass: boolean;
}

/** The ratios and verdict of two sides. */
export function compareSides(ours: ParallelSide, raw: ParallelSide): Pick<ParallelRun, 'throughputRatio' | 'p50Ratio' | 'pass'> {
  const throughputRatio = raw.callsPerSecond > 0 ? round(ours.callsPerSecond / raw.callsPerSecond, 3) : 0;
  const p50Ratio = raw.latency.p50 > 0 ? round(ours.latency.p50 / raw.latency.p50, 3) : 0;
  return { throughputRatio, p50Ratio, pass: throughputRatio >= PARALLEL_THROUGHPUT_TARGET };
}

const load = (l: readonly number[]): string => l.map((v) => v.toFixed(2)).join(' / ');
const cpu = (v: number | undefined): string => (v === undefined ? '-' : v.toFixed(0));

function rows(run: ParallelRun): string[][] {
  const row = (name: string, s: ParallelSide) => [
    name,
    s.callsPerSecond.toFixed(1),
    s.latency.p50.toFixed(2),
    s.latency.p90.toFixed(2),
    cpu(s.cpuMicrosPerCall),
    cpu(s.clientCpuMicrosPerCall),
  ];
  return [row('ours (Get via our server)', run.ours), row('raw SDK GetObject', run.raw)];
}

function heading(run: ParallelRun): string {
  const p = run.parameters;
  return `${p.concurrency} Gets in flight, ${2 * p.oneWayDelayMs} ms RTT to S3; ${p.rounds} interleaved slices of ${p.sliceSeconds} s per side`;
}

/** The console table. */
export function formatParallelTable(run: ParallelRun): string {
  const lines = [
    `${heading(run)}; ${run.machine.cpus} CPUs; load average ${load(run.machine.loadAverage)} at start, ${load(run.machine.loadAverageAtEnd)} at end`,
    `  ${'side'.padEnd(26)} ${'calls/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p90 ms'.padStart(8)} ${'CPU µs/call'.padStart(12)} ${'client µs'.padStart(10)}`,
  ];
  for (const r of rows(run)) {
    lines.push(
      `  ${r[0].padEnd(26)} ${r[1].padStart(9)} ${r[2].padStart(8)} ${r[3].padStart(8)} ${r[4].padStart(12)} ${r[5].padStart(10)}`,
    );
  }
  lines.push(
    `  ours ÷ raw: calls/s ${run.throughputRatio.toFixed(3)} (target >= ${PARALLEL_THROUGHPUT_TARGET}) ${run.pass ? 'PASS' : 'MISS'}; p50 ${run.p50Ratio.toFixed(3)}`,
  );
  return lines.join('\n');
}

/** The markdown summary. */
export function formatParallelMarkdown(run: ParallelRun): string {
  const out = [
    `# Parallel S3 Get benchmark, ${run.when}`,
    '',
    `${heading(run)} (~${run.parameters.documentBytes} B document). Ours: DocumentService.Get through our gRPC port, the server on S3 through the delay proxy. ` +
      `Raw: @aws-sdk/client-s3 GetObject from the bench process through the same proxy. Target: ours ≥ ${PARALLEL_THROUGHPUT_TARGET}× raw calls/s.`,
    '',
    `${run.machine.cpus} CPUs, node ${run.machine.node}; load average (1/5/15 min) ${load(run.machine.loadAverage)} at start, ${load(run.machine.loadAverageAtEnd)} at end; finished ${run.finishedAt}.`,
    '',
    '| side | calls/s | p50 (ms) | p90 (ms) | CPU µs per call | bench client µs per call |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows(run).map((r) => `| ${r.join(' | ')} |`),
    '',
    `Ours ÷ raw: calls/s **${run.throughputRatio.toFixed(3)}** (${run.pass ? 'PASS' : 'MISS'}), p50 ${run.p50Ratio.toFixed(3)}.`,
    '',
    'CPU per call: ours = the server process; raw = the bench process while it ran the raw loops (the SDK plus the loop). Bench client = the bench process while it drove our server. The delay proxy runs in a process of its own, counted on neither side.',
  ];
  return `${out.join('\n')}\n`;
}
