/**
 * The transaction benchmark's figures and their presentation: the ratios of
 * Commit latency to the separate writes it replaces, and the short markdown
 * table written beside the JSON in bench/results/.
 */
import { round, type LatencySummary } from './stats.js';

/**
 * The operations timed one by one (latency), each on the same 10 documents
 * (1 document for the `*1` operations):
 *   - commit10: one Commit of 10 unconditional set writes;
 *   - commit10Etag: one Commit of 10 set writes, each with an etag precondition;
 *   - puts10Seq / puts10Par: 10 Puts, awaited one after the other / all at once;
 *   - putIfMatch10Seq / putIfMatch10Par: the same with PutIfMatch (the
 *     conditional single-document counterpart of commit10Etag);
 *   - commit1 / put1: one set write in a Commit vs one Put (the protocol's fixed cost);
 *   - commit10Rid / commit1Rid: commit10 and commit1 with a fresh request_id, as the
 *     clients send every Commit (idempotent retries; commit1Rid takes the full protocol).
 */
export const LATENCY_OPS = [
  'commit10',
  'commit10Etag',
  'puts10Seq',
  'puts10Par',
  'putIfMatch10Seq',
  'putIfMatch10Par',
  'commit1',
  'put1',
  'commit10Rid',
  'commit1Rid',
] as const;

/** One of LATENCY_OPS. */
export type LatencyOp = (typeof LATENCY_OPS)[number];

/** The units of work timed under load: every unit writes the worker's 10 documents. */
export const THROUGHPUT_OPS = ['commit10', 'commit10Etag', 'puts10Seq', 'puts10Par'] as const;

/** One of THROUGHPUT_OPS. */
export type ThroughputOp = (typeof THROUGHPUT_OPS)[number];

/** Throughput of one unit of work with several concurrent clients on disjoint documents. */
export interface ThroughputFigure {
  /** Completed units (Commit of 10, or group of 10 Puts) per second. */
  readonly unitsPerSecond: number;
  /** Documents written per second (10 per unit). */
  readonly docsPerSecond: number;
  /** Median latency of a unit under this load, ms. */
  readonly p50Ms: number;
  /** 99th-percentile latency of a unit under this load, ms. */
  readonly p99Ms: number;
  /** Units that failed (any error, e.g. TRANSACTION_CONTENTION); they are not counted as done. */
  readonly errors: number;
}

/** A latency ratio at p50 and p99 (numerator / denominator; < 1: the numerator is faster). */
export interface LatencyRatio {
  /** Ratio of the medians. */
  readonly p50: number;
  /** Ratio of the 99th percentiles. */
  readonly p99: number;
}

/** The ratios the brief asks for, from one backend's latencies. */
export interface CommitRatios {
  /** commit10 / puts10Seq. */
  readonly commit10VsSeqPuts: LatencyRatio;
  /** commit10 / puts10Par. */
  readonly commit10VsParPuts: LatencyRatio;
  /** commit10Etag / puts10Seq. */
  readonly commit10EtagVsSeqPuts: LatencyRatio;
  /** commit10Etag / puts10Par. */
  readonly commit10EtagVsParPuts: LatencyRatio;
  /** commit10Etag / putIfMatch10Seq. */
  readonly commit10EtagVsSeqPutIfMatch: LatencyRatio;
  /** commit10Etag / putIfMatch10Par. */
  readonly commit10EtagVsParPutIfMatch: LatencyRatio;
  /** commit1 / put1: the fixed overhead of the protocol, as a factor. */
  readonly commit1VsPut1: LatencyRatio;
  /** commit1 − put1 at p50, ms: the fixed overhead in absolute terms. */
  readonly commit1MinusPut1P50Ms: number;
  /** Throughput commit10 / puts10Par (units per second; > 1: Commit does more). */
  readonly throughputCommit10VsParPuts?: number;
  /** Throughput commit10 / puts10Seq (units per second). */
  readonly throughputCommit10VsSeqPuts?: number;
}

/** Everything measured on one backend. */
export interface BackendFigures {
  /** Human label, e.g. "memory (embedded, local coordination)". */
  readonly label: string;
  /** Latency of every operation, sequential (one in flight), after warm-up. */
  readonly latency: Record<LatencyOp, LatencySummary>;
  /** Throughput per unit of work, with `concurrency` clients. */
  readonly throughput?: Record<ThroughputOp, ThroughputFigure>;
  /** The ratios derived from the two. */
  readonly ratios: CommitRatios;
  /** Storage (BlobStore) operations per unit, by op (get, put, delete, list…), when the server's metrics were read. */
  readonly storageOpsPerUnit?: Partial<Record<LatencyOp, Record<string, number>>>;
}

/** The ratio a / b at p50 and p99, rounded to 3 decimals. Throws when b is not positive. */
export function latencyRatio(a: LatencySummary, b: LatencySummary): LatencyRatio {
  if (!(b.p50 > 0) || !(b.p99 > 0)) throw new RangeError('latency ratio with a non-positive denominator');
  return { p50: round(a.p50 / b.p50), p99: round(a.p99 / b.p99) };
}

/** The ratios of one backend's figures (throughput ratios only when throughput was measured). */
export function commitRatios(
  latency: Record<LatencyOp, LatencySummary>,
  throughput?: Record<ThroughputOp, ThroughputFigure>,
): CommitRatios {
  const l = latency;
  const tput =
    throughput && throughput.puts10Par.unitsPerSecond > 0 && throughput.puts10Seq.unitsPerSecond > 0
      ? {
          throughputCommit10VsParPuts: round(throughput.commit10.unitsPerSecond / throughput.puts10Par.unitsPerSecond),
          throughputCommit10VsSeqPuts: round(throughput.commit10.unitsPerSecond / throughput.puts10Seq.unitsPerSecond),
        }
      : {};
  return {
    commit10VsSeqPuts: latencyRatio(l.commit10, l.puts10Seq),
    commit10VsParPuts: latencyRatio(l.commit10, l.puts10Par),
    commit10EtagVsSeqPuts: latencyRatio(l.commit10Etag, l.puts10Seq),
    commit10EtagVsParPuts: latencyRatio(l.commit10Etag, l.puts10Par),
    commit10EtagVsSeqPutIfMatch: latencyRatio(l.commit10Etag, l.putIfMatch10Seq),
    commit10EtagVsParPutIfMatch: latencyRatio(l.commit10Etag, l.putIfMatch10Par),
    commit1VsPut1: latencyRatio(l.commit1, l.put1),
    commit1MinusPut1P50Ms: round(l.commit1.p50 - l.put1.p50),
    ...tput,
  };
}

/** Row labels of the latency table, in LATENCY_OPS order. */
const LATENCY_LABELS: Record<LatencyOp, string> = {
  commit10: 'Commit, 10 sets',
  commit10Etag: 'Commit, 10 sets + etag preconditions',
  puts10Seq: '10 Puts, sequential',
  puts10Par: '10 Puts, parallel',
  putIfMatch10Seq: '10 PutIfMatch, sequential',
  putIfMatch10Par: '10 PutIfMatch, parallel',
  commit1: 'Commit, 1 set',
  put1: '1 Put',
  commit10Rid: 'Commit, 10 sets + request_id',
  commit1Rid: 'Commit, 1 set + request_id',
};

/** Row labels of the throughput table. */
const THROUGHPUT_LABELS: Record<ThroughputOp, string> = {
  commit10: 'Commit, 10 sets',
  commit10Etag: 'Commit, 10 sets + etags',
  puts10Seq: '10 Puts, sequential',
  puts10Par: '10 Puts, parallel',
};

const ms = (v: number) => v.toFixed(2);

/**
 * The markdown summary of a run: per backend, a latency table (p50/p99 ms),
 * the ratios, and the throughput table when measured.
 */
export function formatCommitMarkdown(run: {
  readonly when: string;
  readonly machine: {
    readonly cpus: number;
    readonly node: string;
    readonly loadAverage?: readonly number[];
    readonly loadAverageAtEnd?: readonly number[];
  };
  readonly parameters: { readonly iterations: number; readonly warmup: number; readonly concurrency: number; readonly seconds: number };
  readonly backends: readonly BackendFigures[];
}): string {
  const p = run.parameters;
  const avg = (l?: readonly number[]) => l?.map((v) => v.toFixed(2)).join(' / ');
  const load =
    (run.machine.loadAverage ? `, load average at start ${avg(run.machine.loadAverage)}` : '') +
    (run.machine.loadAverageAtEnd ? `, at end ${avg(run.machine.loadAverageAtEnd)}` : '');
  const out: string[] = [
    `# Commit benchmark, ${run.when}`,
    '',
    `${run.machine.cpus} CPUs, node ${run.machine.node}${load}. Latency: ${p.iterations} iterations after ${p.warmup} warm-up, one operation in flight. ` +
      `Throughput: ${p.concurrency} clients on disjoint documents, ${p.seconds} s per operation.`,
  ];
  for (const b of run.backends) {
    const r = b.ratios;
    out.push('', `## ${b.label}`, '', '| operation | p50 ms | p99 ms |', '|---|---:|---:|');
    for (const op of LATENCY_OPS) out.push(`| ${LATENCY_LABELS[op]} | ${ms(b.latency[op].p50)} | ${ms(b.latency[op].p99)} |`);
    out.push('', '| ratio (latency) | p50 | p99 |', '|---|---:|---:|');
    const ratioRows: [string, LatencyRatio][] = [
      ['Commit 10 / 10 sequential Puts', r.commit10VsSeqPuts],
      ['Commit 10 / 10 parallel Puts', r.commit10VsParPuts],
      ['Commit 10 + etags / 10 sequential Puts', r.commit10EtagVsSeqPuts],
      ['Commit 10 + etags / 10 parallel Puts', r.commit10EtagVsParPuts],
      ['Commit 10 + etags / 10 sequential PutIfMatch', r.commit10EtagVsSeqPutIfMatch],
      ['Commit 10 + etags / 10 parallel PutIfMatch', r.commit10EtagVsParPutIfMatch],
      ['Commit 1 / Put 1', r.commit1VsPut1],
    ];
    for (const [name, v] of ratioRows) out.push(`| ${name} | ${v.p50.toFixed(2)} | ${v.p99.toFixed(2)} |`);
    out.push('', `Fixed overhead of the protocol (Commit 1 − Put 1, p50): ${ms(r.commit1MinusPut1P50Ms)} ms.`);
    if (b.storageOpsPerUnit) out.push(...storageOpsTable(b.storageOpsPerUnit));
    if (b.throughput) {
      out.push('', '| throughput | units/s | docs/s | p50 ms | p99 ms | errors |', '|---|---:|---:|---:|---:|---:|');
      for (const op of THROUGHPUT_OPS) {
        const t = b.throughput[op];
        out.push(
          `| ${THROUGHPUT_LABELS[op]} | ${t.unitsPerSecond.toFixed(1)} | ${t.docsPerSecond.toFixed(0)} | ${ms(t.p50Ms)} | ${ms(t.p99Ms)} | ${t.errors} |`,
        );
      }
      if (r.throughputCommit10VsParPuts !== undefined && r.throughputCommit10VsSeqPuts !== undefined) {
        out.push(
          '',
          `Throughput ratio Commit 10 / 10 parallel Puts: ${r.throughputCommit10VsParPuts.toFixed(2)}; Commit 10 / 10 sequential Puts: ${r.throughputCommit10VsSeqPuts.toFixed(2)}.`,
        );
      }
    }
  }
  return `${out.join('\n')}\n`;
}

/** The markdown table of storage operations per unit: one column per storage op, plus the total. */
export function storageOpsTable(perUnit: Partial<Record<LatencyOp, Record<string, number>>>): string[] {
  const kinds = [...new Set(Object.values(perUnit).flatMap((r) => Object.keys(r ?? {})))].sort();
  const out = [
    '',
    `| storage ops per unit | ${[...kinds, 'total'].join(' | ')} |`,
    `|---|${[...kinds, 'total'].map(() => '---:').join('|')}|`,
  ];
  for (const op of LATENCY_OPS) {
    const r = perUnit[op];
    if (!r) continue;
    const total = Object.values(r).reduce((a, v) => a + v, 0);
    out.push(`| ${LATENCY_LABELS[op]} | ${[...kinds.map((k) => r[k] ?? 0), total].map((v) => String(round(v, 2))).join(' | ')} |`);
  }
  return out;
}
