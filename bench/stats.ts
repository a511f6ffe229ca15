/**
 * Latency summaries from raw samples: sorted-array percentiles (nearest-rank),
 * exact for the sample counts a benchmark run collects (10^3..10^6).
 */

/** Percentiles and extremes of a set of latency samples, in milliseconds. */
export interface LatencySummary {
  /** How many samples were summarised. */
  readonly count: number;
  /** Arithmetic mean, ms. */
  readonly mean: number;
  /** Smallest sample, ms. */
  readonly min: number;
  /** Median (50th percentile, nearest rank), ms. */
  readonly p50: number;
  /** 90th percentile (nearest rank), ms. */
  readonly p90: number;
  /** 99th percentile (nearest rank), ms. */
  readonly p99: number;
  /** Largest sample, ms. */
  readonly max: number;
}

/**
 * The nearest-rank percentile `p` (0 < p ≤ 100) of samples already sorted
 * ascending: the smallest sample such that at least p% of samples are ≤ it.
 * Throws on an empty array or a p outside (0, 100].
 */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of no samples');
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile out of range: ${p}`);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Summarises latency samples (ms); does not modify the input. Throws when empty. */
export function summarize(samples: ArrayLike<number>): LatencySummary {
  if (samples.length === 0) throw new RangeError('no samples to summarise');
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    mean: sum / sorted.length,
    min: sorted[0],
    p50: percentileOfSorted(sorted, 50),
    p90: percentileOfSorted(sorted, 90),
    p99: percentileOfSorted(sorted, 99),
    max: sorted[sorted.length - 1],
  };
}

/** Rounds to `digits` decimals, for reports (keeps JSON short and readable). */
export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** A summary with every figure rounded to `digits` decimals. */
export function roundSummary(s: LatencySummary, digits = 3): LatencySummary {
  return {
    count: s.count,
    mean: round(s.mean, digits),
    min: round(s.min, digits),
    p50: round(s.p50, digits),
    p90: round(s.p90, digits),
    p99: round(s.p99, digits),
    max: round(s.max, digits),
  };
}

/**
 * The median of `values` (the mean of the middle two for an even count); does
 * not modify the input. The figure a report takes over rounds, so one noisy
 * round does not move it. Throws on an empty list.
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of nothing');
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}
