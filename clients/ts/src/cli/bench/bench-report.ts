/**
 * The report of a `smarterbase bench` run: a JSON document (settings, what
 * was issued and achieved, per kind and overall the corrected latency and
 * service-time percentiles, outcomes, the percentile curve and the
 * per-second series) and the table printed at the end.
 */
import type { Histogram } from 'hdr-histogram-js';
import { formatTable } from '../output.js';
import type { BenchPlan } from './bench-plan.js';
import type { OpenLoopResult } from './open-loop.js';
import { OP_KINDS } from './operations.js';
import { isFailure, type KindStats, type Recorder, type SecondStats } from './recorder.js';

/** Percentiles of one histogram, ms. */
export interface Percentiles {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

/** One kind's (or all kinds') figures. */
export interface KindReport {
  /** Latency from the time the operation was due (what a caller of the system would see). */
  readonly latencyMs: Percentiles;
  /** Latency from the time it was sent (what a closed-loop tester would report). */
  readonly serviceMs: Percentiles;
  /** Completions by outcome. */
  readonly outcomes: Record<string, number>;
  /** Completions that failed. */
  readonly failed: number;
}

/** Percentile curves: `latencyMs[name][j]` is the latency within which `percentiles[j]` % of that series' operations finished. */
export interface Curves {
  readonly percentiles: number[];
  readonly latencyMs: Record<string, number[]>;
}

/** The whole report. */
export interface BenchReport {
  readonly tool: 'smarterbase bench';
  readonly startedAt: string;
  readonly target: string;
  readonly settings: {
    readonly rate: number;
    readonly durationS: number;
    readonly mix: Record<string, number>;
    readonly keys: number;
    readonly docBytes: number;
    readonly maxInFlight: number;
    readonly collection: string;
    readonly index: boolean;
  };
  /** Operations the schedule made due, and sent. */
  readonly due: number;
  readonly sent: number;
  readonly completed: number;
  readonly failed: number;
  /** Completions per second over the run (from the first due time to the last answer). */
  readonly achievedRate: number;
  /** The largest time an operation waited past its due time before it was sent, ms. */
  readonly maxSendLagMs: number;
  /** True when the run was stopped early (Ctrl-C). */
  readonly stopped: boolean;
  readonly overall: KindReport;
  readonly kinds: Record<string, KindReport>;
  /** Percentile curves of the corrected latency (all operations, and per kind) and of all operations' service time. */
  readonly curves: Curves;
  readonly seconds: SecondStats[];
}

const round = (v: number): number => Math.round(v * 1000) / 1000;

function percentiles(h: Histogram): Percentiles {
  const at = (p: number): number => (h.totalCount === 0 ? 0 : round(h.getValueAtPercentile(p) / 1000));
  return {
    count: h.totalCount,
    p50: at(50),
    p90: at(90),
    p99: at(99),
    p999: at(99.9),
    max: round(h.maxValue / 1000),
    mean: h.totalCount === 0 ? 0 : round(h.mean / 1000),
  };
}

function kindReport(k: KindStats): KindReport {
  const outcomes = Object.fromEntries([...k.outcomes].sort((a, b) => b[1] - a[1]));
  const failed = [...k.outcomes].filter(([o]) => isFailure(o)).reduce((a, [, c]) => a + c, 0);
  return { latencyMs: percentiles(k.latency), serviceMs: percentiles(k.service), outcomes, failed };
}

/** The percentiles of the curves: 0, 50, 75, 87.5, … halving the distance to 100 (as HdrHistogram plots them) while `count` supports them, then 100. */
export function curvePercentiles(count: number): number[] {
  const ps: number[] = [];
  for (let k = 0; k <= 20; k++) {
    const p = 100 - 100 / 2 ** k;
    ps.push(round(p));
    if (2 ** k >= count) break;
  }
  ps.push(100);
  return ps;
}

function curves(rec: Recorder): Curves {
  const percentiles = curvePercentiles(rec.all.latency.totalCount);
  const curve = (h: Histogram): number[] => percentiles.map((p) => round((p === 100 ? h.maxValue : h.getValueAtPercentile(p)) / 1000));
  const latencyMs: Record<string, number[]> = { all: curve(rec.all.latency), 'all (service time)': curve(rec.all.service) };
  for (const kind of OP_KINDS) if (rec.kinds.has(kind)) latencyMs[kind] = curve(rec.kinds.get(kind)!.latency);
  return { percentiles, latencyMs };
}

/** Assembles the report of a finished run. */
export function buildReport(plan: BenchPlan, target: string, startedAt: Date, run: OpenLoopResult, rec: Recorder): BenchReport {
  const completed = rec.all.latency.totalCount;
  return {
    tool: 'smarterbase bench',
    startedAt: startedAt.toISOString(),
    target,
    settings: {
      rate: plan.rate,
      durationS: plan.durationS,
      mix: Object.fromEntries(plan.mix),
      keys: plan.keys,
      docBytes: plan.docBytes,
      maxInFlight: plan.maxInFlight,
      collection: plan.collection,
      index: plan.index,
    },
    due: run.due,
    sent: run.sent,
    completed,
    failed: rec.failures(),
    achievedRate: run.elapsedMs > 0 ? round((completed * 1000) / run.elapsedMs) : 0,
    maxSendLagMs: round(rec.maxSendLagMs),
    stopped: run.stopped,
    overall: kindReport(rec.all),
    kinds: Object.fromEntries(OP_KINDS.filter((k) => rec.kinds.has(k)).map((k) => [k, kindReport(rec.kinds.get(k)!)])),
    curves: curves(rec),
    seconds: rec.series(),
  };
}

/** The summary table: one row per kind and one for all, latency from due time in ms. */
export function reportTable(r: BenchReport): string {
  const row = (name: string, k: KindReport): Record<string, unknown> => ({
    op: name,
    count: k.latencyMs.count,
    failed: k.failed,
    conflicts: k.outcomes['conflict'] ?? 0,
    p50: k.latencyMs.p50,
    p90: k.latencyMs.p90,
    p99: k.latencyMs.p99,
    p999: k.latencyMs.p999,
    max: k.latencyMs.max,
    'service p99': k.serviceMs.p99,
  });
  const rows = [...Object.entries(r.kinds).map(([name, k]) => row(name, k)), row('all', r.overall)];
  const head =
    `target ${r.settings.rate}/s for ${r.settings.durationS} s → ${r.completed} done, ${r.achievedRate}/s achieved` +
    `, ${r.failed} failed${r.stopped ? ' (stopped early)' : ''}; latency ms from due time (service p99: from send time)\n`;
  return head + formatTable(rows, ['op', 'count', 'failed', 'conflicts', 'p50', 'p90', 'p99', 'p999', 'max', 'service p99']);
}
