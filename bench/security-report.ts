/**
 * The security benchmark's figures and presentation (issue 14): four servers
 * on one bucket — plaintext without auth, TLS only, auth only, TLS + auth —
 * measured side by side on gRPC Get (and plaintext vs TLS + auth on Put);
 * each side's ratios to the plaintext one, the verdict on the target
 * (TLS + auth costs at most 15 % of Get throughput), and the markdown table
 * written beside the JSON in bench/results/.
 */
import type { SideRound, SideSummary } from './side-by-side.js';
import { median, round } from './stats.js';

/** The most TLS + auth may cost of gRPC Get throughput, as a fraction (issue 14: ≤ 15 %). */
export const SECURITY_THROUGHPUT_TARGET = 0.15;

/** The four servers, in the order they are measured. */
export const SECURITY_SIDES = ['plain', 'tls', 'auth', 'tlsAuth'] as const;

/** One of the four servers. */
export type SecuritySideName = (typeof SECURITY_SIDES)[number];

/** How the report names each side. */
export const SIDE_LABELS: Readonly<Record<SecuritySideName, string>> = {
  plain: '(1) plaintext, auth off',
  tls: '(2) TLS only',
  auth: '(3) auth only (API key)',
  tlsAuth: '(4) TLS + auth',
};

/**
 * A side compared with the plaintext one: each figure is the median over
 * rounds of that round's ratio (the sides of one round shared its machine
 * load; rounds did not, so a ratio of medians over rounds would mix loads).
 */
export interface SideCost {
  /** Median of side p50 ÷ plain p50 per round. */
  readonly p50Ratio: number;
  /** Median of side calls/s ÷ plain calls/s per round. */
  readonly throughputRatio: number;
  /** 1 − throughputRatio: the share of throughput the setting costs (negative: faster). */
  readonly throughputCost: number;
  /** Median of side server CPU per call ÷ plain's per round, when every round measured both. */
  readonly cpuRatio?: number;
  /** Median of side client CPU per sequential call ÷ plain's per round, when every round measured both. */
  readonly clientCpuRatio?: number;
}

/** The whole run. */
export interface SecurityRun {
  readonly when: string;
  readonly machine: { readonly cpus: number; readonly node: string; readonly loadAverage: number[]; readonly loadAverageAfter: number[] };
  readonly parameters: {
    readonly documents: number;
    readonly documentBytes: number;
    /** Sequential Gets per side and round (latency), sides taking turns. */
    readonly sequentialGets: number;
    /** Sequential Puts per side and round, plain and TLS + auth taking turns. */
    readonly sequentialPuts: number;
    /** Length of each throughput window, s (all sides at once). */
    readonly throughputSeconds: number;
    /** Callers per side in a throughput window. */
    readonly concurrency: number;
    readonly rounds: number;
    readonly s3: string;
  };
  /** Get figures of each side. */
  readonly get: Readonly<Record<SecuritySideName, SideSummary>>;
  /** Get costs of the three secured sides against plain. */
  readonly getCost: Readonly<Record<Exclude<SecuritySideName, 'plain'>, SideCost>>;
  /** Put figures of plain and TLS + auth. */
  readonly put: { readonly plain: SideSummary; readonly tlsAuth: SideSummary };
  /** Put cost of TLS + auth against plain. */
  readonly putCost: SideCost;
  /** getCost.tlsAuth.throughputCost ≤ SECURITY_THROUGHPUT_TARGET. */
  readonly pass: boolean;
}

/** `side` against `base`, round by round (both measured in the same rounds). */
export function costOf(base: SideSummary, side: SideSummary): SideCost {
  if (base.rounds.length !== side.rounds.length || base.rounds.length === 0) {
    throw new RangeError(`sides of different rounds: ${base.rounds.length} and ${side.rounds.length}`);
  }
  const ratios = (f: (r: SideRound) => number | undefined): number[] | undefined => {
    const out: number[] = [];
    for (const [i, b] of base.rounds.entries()) {
      const x = f(side.rounds[i]);
      const y = f(b);
      if (x === undefined || y === undefined || y <= 0) return undefined;
      out.push(x / y);
    }
    return out;
  };
  const throughputRatio = round(median(ratios((r) => r.callsPerSecond)!), 4);
  const cpu = ratios((r) => r.serverCpuMsPerCall);
  const clientCpu = ratios((r) => r.clientCpuMsPerCall);
  return {
    p50Ratio: round(median(ratios((r) => r.latency.p50)!), 4),
    throughputRatio,
    throughputCost: round(1 - throughputRatio, 4),
    ...(cpu === undefined ? {} : { cpuRatio: round(median(cpu), 3) }),
    ...(clientCpu === undefined ? {} : { clientCpuRatio: round(median(clientCpu), 3) }),
  };
}

/** The Get costs of every secured side and the verdict. */
export function compareGets(get: Readonly<Record<SecuritySideName, SideSummary>>): Pick<SecurityRun, 'getCost' | 'pass'> {
  const getCost = { tls: costOf(get.plain, get.tls), auth: costOf(get.plain, get.auth), tlsAuth: costOf(get.plain, get.tlsAuth) };
  return { getCost, pass: getCost.tlsAuth.throughputCost <= SECURITY_THROUGHPUT_TARGET };
}

const pct = (fraction: number): string => `${round(fraction * 100, 1)} %`;

function row(label: string, s: SideSummary, cost?: SideCost): string {
  const vs =
    cost === undefined
      ? '– | – | – | –'
      : `${cost.p50Ratio} | ${cost.throughputRatio} | ${cost.cpuRatio ?? '–'} | ${cost.clientCpuRatio ?? '–'}`;
  const perRound = `${s.rounds.map((r) => round(r.latency.p50)).join(', ')} | ${s.rounds.map((r) => round(r.callsPerSecond)).join(', ')}`;
  return `| ${label} | ${s.p50Ms} | ${s.p99Ms} | ${s.callsPerSecond} | ${s.serverCpuMsPerCall ?? '–'} | ${s.clientCpuMsPerCall ?? '–'} | ${vs} | ${perRound} |`;
}

/** The markdown report. */
export function formatSecurityMarkdown(run: SecurityRun): string {
  const p = run.parameters;
  const head =
    '| Side | p50 ms | p99 ms | calls/s | server CPU ms/call | client CPU ms/call (sequential) | p50 ÷ (1) | calls/s ÷ (1) | server CPU ÷ (1) | client CPU ÷ (1) | p50 per round | calls/s per round |';
  const rule = '|---|---|---|---|---|---|---|---|---|---|---|---|';
  const t = run.getCost.tlsAuth;
  return [
    `# Security: cost of TLS and authentication on gRPC Get and Put (${run.when})`,
    '',
    `Four servers on one ${p.s3} bucket; ${p.documents} seeded documents of ${p.documentBytes} bytes, Gets of random seeded ids. ` +
      `Per round: ${p.sequentialGets} sequential Gets per side, the sides taking turns Get by Get (latency); then all four at once for ` +
      `${p.throughputSeconds} s with ${p.concurrency} callers each (throughput); the same for Puts of fresh ids on (1) and (4) ` +
      `(${p.sequentialPuts} each). ${p.rounds} rounds, medians over rounds shown; the ratios ÷ (1) are medians of each round's ratio. Machine: ${run.machine.cpus} CPUs, node ${run.machine.node}, ` +
      `load ${run.machine.loadAverage.join(' ')} at the start, ${run.machine.loadAverageAfter.join(' ')} at the end.`,
    '',
    '## Get',
    '',
    head,
    rule,
    ...SECURITY_SIDES.map((name) => row(SIDE_LABELS[name], run.get[name], name === 'plain' ? undefined : run.getCost[name])),
    '',
    '## Put',
    '',
    head,
    rule,
    row(SIDE_LABELS.plain, run.put.plain),
    row(SIDE_LABELS.tlsAuth, run.put.tlsAuth, run.putCost),
    '',
    `Get throughput cost of TLS: ${pct(run.getCost.tls.throughputCost)}; of auth: ${pct(run.getCost.auth.throughputCost)}; ` +
      `of TLS + auth: ${pct(t.throughputCost)} (target ≤ ${pct(SECURITY_THROUGHPUT_TARGET)}: ${run.pass ? 'PASS' : 'FAIL'}); ` +
      `TLS + auth Get p50 ×${t.p50Ratio}. Put: p50 ×${run.putCost.p50Ratio}, throughput cost ${pct(run.putCost.throughputCost)}.`,
    '',
  ].join('\n');
}
