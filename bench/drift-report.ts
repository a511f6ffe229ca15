/**
 * Figures of the drift-monitor benchmark (index-drift.ts): what one
 * measured round recorded, its summary per sampled document against the
 * raw-SDK baseline of the same round, and the markdown table.
 */
import { percentileOfSorted, round } from './stats.js';

/** What one drift run (ours) cost. */
export interface DriftRound {
  /** Wall time of the run, ms. */
  readonly wallMs: number;
  /** CPU time of this process during the run (process.cpuUsage, user + system), ms. */
  readonly cpuMs: number;
  /** Distinct documents the run read from S3 (the sampled documents). */
  readonly docs: number;
  /** S3 requests by operation (get, list, head, put, delete). */
  readonly s3: Readonly<Record<string, number>>;
  /** Redis round trips sent by the run's connection. */
  readonly redisTrips: number;
  /** Redis commands executed (INFO commandstats; scripts' inner commands included). */
  readonly redisCommands: number;
  /** Missing entries the run found. */
  readonly missing: number;
  /** Stale entries the run found. */
  readonly stale: number;
  /** Documents the run repaired. */
  readonly repaired: number;
}

/** What reading the same documents with the raw SDK GetObject cost. */
export interface RawRound {
  /** Wall time, ms. */
  readonly wallMs: number;
  /** CPU time of this process, ms. */
  readonly cpuMs: number;
  /** GetObject requests (= documents read). */
  readonly gets: number;
}

/** One scenario's figures: medians over rounds, per sampled document unless said otherwise. */
export interface DriftSummary {
  /** Configured sample (SB_INDEX_DRIFT_SAMPLE). */
  readonly sample: number;
  /** Index state: clean, or faulty (entries deleted and stale ones added before each round). */
  readonly index: 'clean' | 'faulty';
  /** Measured rounds. */
  readonly rounds: number;
  /** Documents read per run (median). */
  readonly docs: number;
  /** Distinct documents read over all the rounds (how far successive runs spread); set by the caller. */
  readonly docsOverRounds?: number;
  /** Wall time of a whole run (median), ms. */
  readonly runMs: number;
  /** Wall time per document (median of rounds), ms. */
  readonly wallMsPerDoc: number;
  /** CPU time per document (median of rounds), ms. */
  readonly cpuMsPerDoc: number;
  /** S3 requests per run (median), all operations. */
  readonly s3PerRun: number;
  /** S3 requests per document (median of rounds). */
  readonly s3PerDoc: number;
  /** LIST requests per run (median). */
  readonly listsPerRun: number;
  /** Redis round trips per document (median of rounds). */
  readonly redisTripsPerDoc: number;
  /** Redis commands executed per document (median of rounds). */
  readonly redisCommandsPerDoc: number;
  /** Faults found per run (median of missing + stale). */
  readonly faultsFound: number;
  /** Documents repaired per run (median). */
  readonly repaired: number;
  /** Raw GetObject wall time per document (median of rounds), ms. */
  readonly rawWallMsPerDoc: number;
  /** Raw GetObject CPU time per document (median of rounds), ms. */
  readonly rawCpuMsPerDoc: number;
  /** wallMsPerDoc / rawWallMsPerDoc. */
  readonly wallRatio: number;
  /** cpuMsPerDoc / rawCpuMsPerDoc. */
  readonly cpuRatio: number;
}

/** The median (nearest rank) of `values`; 0 when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  return percentileOfSorted(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/** `a / b`, or 0 when b is 0 (a run that read nothing). */
function per(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

/** Total of a round's S3 requests. */
export function s3Total(r: DriftRound): number {
  return Object.values(r.s3).reduce((n, v) => n + v, 0);
}

/** Summarises paired rounds (ours[i] and raw[i] read the same documents); throws if they do not pair. */
export function summarizeDrift(
  sample: number,
  index: 'clean' | 'faulty',
  ours: readonly DriftRound[],
  raw: readonly RawRound[],
): DriftSummary {
  if (ours.length === 0 || ours.length !== raw.length) throw new RangeError(`rounds do not pair: ${ours.length} ours, ${raw.length} raw`);
  const m = (f: (r: DriftRound, i: number) => number): number => median(ours.map(f));
  const wallMsPerDoc = m((r) => per(r.wallMs, r.docs));
  const cpuMsPerDoc = m((r) => per(r.cpuMs, r.docs));
  const rawWallMsPerDoc = median(raw.map((r) => per(r.wallMs, r.gets)));
  const rawCpuMsPerDoc = median(raw.map((r) => per(r.cpuMs, r.gets)));
  return {
    sample,
    index,
    rounds: ours.length,
    docs: m((r) => r.docs),
    runMs: round(
      m((r) => r.wallMs),
      1,
    ),
    wallMsPerDoc: round(wallMsPerDoc, 3),
    cpuMsPerDoc: round(cpuMsPerDoc, 3),
    s3PerRun: m(s3Total),
    s3PerDoc: round(
      m((r) => per(s3Total(r), r.docs)),
      2,
    ),
    listsPerRun: m((r) => r.s3.list ?? 0),
    redisTripsPerDoc: round(
      m((r) => per(r.redisTrips, r.docs)),
      2,
    ),
    redisCommandsPerDoc: round(
      m((r) => per(r.redisCommands, r.docs)),
      2,
    ),
    faultsFound: m((r) => r.missing + r.stale),
    repaired: m((r) => r.repaired),
    rawWallMsPerDoc: round(rawWallMsPerDoc, 3),
    rawCpuMsPerDoc: round(rawCpuMsPerDoc, 3),
    wallRatio: round(per(wallMsPerDoc, rawWallMsPerDoc), 2),
    cpuRatio: round(per(cpuMsPerDoc, rawCpuMsPerDoc), 2),
  };
}

/** S3 requests per minute one collection costs at `s3PerRun` requests every `intervalMs`. */
export function requestsPerMinute(s3PerRun: number, intervalMs: number): number {
  if (!(intervalMs > 0)) throw new RangeError(`interval must be positive: ${intervalMs}`);
  return round((s3PerRun * 60_000) / intervalMs, 2);
}

/** The markdown table of a run's summaries, one row per scenario. */
export function formatDriftTable(summaries: readonly DriftSummary[]): string {
  const lines = [
    '| sample | index | docs read | docs read over rounds | run ms | ms/doc | raw ms/doc | wall ratio | CPU ms/doc | raw CPU ms/doc | CPU ratio | S3 req/run (LIST) | S3 req/doc | Redis trips/doc | Redis cmds/doc | faults found | repaired |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const s of summaries) {
    lines.push(
      `| ${s.sample} | ${s.index} | ${s.docs} | ${s.docsOverRounds ?? '-'} | ${s.runMs} | ${s.wallMsPerDoc} | ${s.rawWallMsPerDoc} | ${s.wallRatio} | ${s.cpuMsPerDoc} | ${s.rawCpuMsPerDoc} | ${s.cpuRatio} | ${s.s3PerRun} (${s.listsPerRun}) | ${s.s3PerDoc} | ${s.redisTripsPerDoc} | ${s.redisCommandsPerDoc} | ${s.faultsFound} | ${s.repaired} |`,
    );
  }
  return lines.join('\n');
}
