/**
 * The encryption-at-rest benchmark's figures and presentation (issue 14):
 * the two sides (the server with a keyring, the same server without) are
 * measured with the side-by-side method (bench/side-by-side.ts); this module
 * gives the cost of encryption as ratios of their medians, the verdict on the
 * Put p50 target, and the markdown table written beside the JSON in
 * bench/results/.
 */
import type { SideSummary } from './side-by-side.js';
import { median, round } from './stats.js';

/** The most encryption may add to the S3 Put p50, as a fraction (issue 14: ≤ 10 %). */
export const ENCRYPTION_P50_TARGET = 0.1;

/** The whole run. */
export interface CryptRun {
  readonly when: string;
  readonly machine: { readonly cpus: number; readonly node: string; readonly loadAverage: number[] };
  readonly parameters: {
    readonly documentBytes: number;
    readonly sequentialPuts: number;
    /** Length of the throughput window, s (both sides at once). */
    readonly throughputSeconds: number;
    readonly concurrency: number;
    readonly rounds: number;
    readonly s3: string;
  };
  /** The server without a keyring; its calls are Puts. */
  readonly clear: SideSummary;
  /** The same server with SB_ENCRYPTION_KEYRING_FILE; its calls are Puts. */
  readonly encrypted: SideSummary;
  /** encrypted.p50 ÷ clear.p50 − 1: the p50 cost (0.05 = 5 % slower). */
  readonly p50Cost: number;
  /** encrypted.callsPerSecond ÷ clear.callsPerSecond. */
  readonly throughputRatio: number;
  /** p50Cost ≤ ENCRYPTION_P50_TARGET. */
  readonly pass: boolean;
}

/** The verdict fields of a run from its two sides. */
export function compare(clear: SideSummary, encrypted: SideSummary): Pick<CryptRun, 'p50Cost' | 'throughputRatio' | 'pass'> {
  const p50Cost = round(encrypted.p50Ms / clear.p50Ms - 1, 4);
  return { p50Cost, throughputRatio: round(encrypted.callsPerSecond / clear.callsPerSecond, 4), pass: p50Cost <= ENCRYPTION_P50_TARGET };
}

/** Median over a side's rounds of the Put p90, ms (the table's tail column; SideSummary keeps the p99). */
export function p90Ms(s: SideSummary): number {
  return round(median(s.rounds.map((r) => r.latency.p90)));
}

/** The markdown report. */
export function formatCryptMarkdown(run: CryptRun): string {
  const p = run.parameters;
  const row = (name: string, s: SideSummary): string =>
    `| ${name} | ${s.p50Ms} | ${p90Ms(s)} | ${s.callsPerSecond} | ${s.serverCpuMsPerCall ?? '–'} | ${s.rounds.map((r) => round(r.latency.p50)).join(', ')} | ${s.rounds.map((r) => round(r.callsPerSecond, 1)).join(', ')} |`;
  return [
    `# Encryption at rest: S3 Put cost (${run.when})`,
    '',
    `${p.s3}; ${p.documentBytes}-byte documents; per round and side ${p.sequentialPuts} sequential Puts alternating between the sides (latency) then both sides at once for ${p.throughputSeconds} s with ${p.concurrency} callers each (throughput); ${p.rounds} rounds. Machine: ${run.machine.cpus} CPUs, node ${run.machine.node}, load ${run.machine.loadAverage.join(' ')}.`,
    '',
    '| Side | Put p50 ms | Put p90 ms | Puts/s | server CPU ms/Put | p50 per round | Puts/s per round |',
    '|---|---|---|---|---|---|---|',
    row('clear', run.clear),
    row('encrypted (keyring)', run.encrypted),
    '',
    `p50 cost of encryption: ${round(run.p50Cost * 100, 1)} % (target ≤ ${ENCRYPTION_P50_TARGET * 100} %: ${run.pass ? 'PASS' : 'FAIL'}); throughput ratio encrypted ÷ clear: ${run.throughputRatio}.`,
    '',
  ].join('\n');
}
