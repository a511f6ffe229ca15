/**
 * The encryption-at-rest benchmark's figures and presentation (issue 14):
 * per side (the server with a keyring, the same server without) the Put
 * latency percentiles and the Put throughput of each round, their medians,
 * the cost of encryption as ratios, and the markdown table written beside
 * the JSON in bench/results/.
 */
import type { LatencySummary } from './stats.js';
import { round } from './stats.js';

/** The most encryption may add to the S3 Put p50, as a fraction (issue 14: ≤ 10 %). */
export const ENCRYPTION_P50_TARGET = 0.1;

/** What one side measured in one round. */
export interface CryptRound {
  /** Latency of sequential Puts, ms. */
  readonly latency: LatencySummary;
  /** Puts per second with `concurrency` callers. */
  readonly putsPerSecond: number;
  /** CPU ms of the server process per Put over the whole round (from /proc; absent elsewhere). */
  readonly serverCpuMsPerPut?: number;
}

/** One side over all rounds. */
export interface CryptSide {
  readonly rounds: CryptRound[];
  /** Median over rounds of the p50, ms. */
  readonly p50Ms: number;
  /** Median over rounds of the p90, ms. */
  readonly p90Ms: number;
  /** Median over rounds of the throughput, Puts/s. */
  readonly putsPerSecond: number;
  /** Median over rounds of the server's CPU ms per Put, when measured. */
  readonly serverCpuMsPerPut?: number;
}

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
  readonly clear: CryptSide;
  readonly encrypted: CryptSide;
  /** encrypted.p50 ÷ clear.p50 − 1: the p50 cost (0.05 = 5 % slower). */
  readonly p50Cost: number;
  /** encrypted.putsPerSecond ÷ clear.putsPerSecond. */
  readonly throughputRatio: number;
  /** p50Cost ≤ ENCRYPTION_P50_TARGET. */
  readonly pass: boolean;
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of nothing');
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** One side's medians over its rounds. */
export function side(rounds: CryptRound[]): CryptSide {
  return {
    rounds,
    p50Ms: round(median(rounds.map((r) => r.latency.p50))),
    p90Ms: round(median(rounds.map((r) => r.latency.p90))),
    putsPerSecond: round(median(rounds.map((r) => r.putsPerSecond)), 1),
    ...(rounds.every((r) => r.serverCpuMsPerPut !== undefined)
      ? { serverCpuMsPerPut: round(median(rounds.map((r) => r.serverCpuMsPerPut!))) }
      : {}),
  };
}

/** The verdict fields of a run from its two sides. */
export function compare(clear: CryptSide, encrypted: CryptSide): Pick<CryptRun, 'p50Cost' | 'throughputRatio' | 'pass'> {
  const p50Cost = round(encrypted.p50Ms / clear.p50Ms - 1, 4);
  return { p50Cost, throughputRatio: round(encrypted.putsPerSecond / clear.putsPerSecond, 4), pass: p50Cost <= ENCRYPTION_P50_TARGET };
}

/** The markdown report. */
export function formatCryptMarkdown(run: CryptRun): string {
  const p = run.parameters;
  const row = (name: string, s: CryptSide): string =>
    `| ${name} | ${s.p50Ms} | ${s.p90Ms} | ${s.putsPerSecond} | ${s.serverCpuMsPerPut ?? '–'} | ${s.rounds.map((r) => round(r.latency.p50)).join(', ')} | ${s.rounds.map((r) => round(r.putsPerSecond, 1)).join(', ')} |`;
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
