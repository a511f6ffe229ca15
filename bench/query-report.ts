/**
 * The query scenario's verdicts against the issue-3 targets and its lines
 * of the printed table.
 */
import type { QueryBenchResult, QueryTiming } from './query-bench.js';
import type { Verdict } from './report.js';

/** Target: the indexed equality query is at least this many times faster than the scan. */
export const QUERY_INDEX_SPEEDUP_TARGET = 100;
/** Target: server RSS while streaming the whole collection stays within this many MiB of idle. */
export const QUERY_STREAM_RSS_GROWTH_MIB = 64;

/** PASS / MISS lines of the query scenario. */
export function queryVerdicts(q: QueryBenchResult): Verdict[] {
  const out: Verdict[] = [
    {
      name: 'Query eq: scan p50 / indexed p50',
      ratio: q.equalityRatio,
      target: `>= ${QUERY_INDEX_SPEEDUP_TARGET}`,
      pass: q.equalityRatio >= QUERY_INDEX_SPEEDUP_TARGET,
    },
    {
      name: 'Query stream all: peak − idle RSS, MiB',
      ratio: q.streamAll.rssGrowthMiB,
      target: `<= ${QUERY_STREAM_RSS_GROWTH_MIB}`,
      pass: q.streamAll.rssGrowthMiB <= QUERY_STREAM_RSS_GROWTH_MIB,
    },
    {
      name: 'Count indexed: storage_requests (max)',
      ratio: q.count.maxStorageRequests,
      target: '= 0',
      pass: q.count.maxStorageRequests === 0,
    },
  ];
  if (q.count.storageOperationsDelta !== undefined) {
    const delta = q.count.storageOperationsDelta;
    out.push({ name: 'Count indexed: S3 ops in /metrics (delta)', ratio: delta, target: '= 0', pass: delta === 0 });
  }
  return out;
}

/** The query scenario's section of the printed table. */
export function formatQueryTable(q: QueryBenchResult): string[] {
  const cell = (v: number | string, w = 10) => String(v).padStart(w);
  const row = (label: string, t: QueryTiming) =>
    `  ${label.padEnd(40)}${cell(t.firstP50Ms)}${cell(t.lastP50Ms)}${cell(t.results, 9)}${cell(t.runs, 6)}  ${t.scan ? 'scan' : `index ${t.indexesUsed.join('+')}`}`;
  const s = q.streamAll;
  return [
    '',
    `Queries on S3 + Redis, ${q.docs} documents; load ${q.loadDocsPerSecond} docs/s (${q.loadConcurrency} in flight, ${q.loadSeconds} s)`,
    `${''.padEnd(42)}${cell('first ms')}${cell('last ms')}${cell('results', 9)}${cell('runs', 6)}  plan`,
    row('eq on indexed field (p50)', q.equalityIndexed),
    row('same eq on unindexed copy: scan (p50)', q.equalityScan),
    row('order by indexed score limit 1000', q.orderedIndexed),
    row('order by unindexed copy limit 1000', q.orderedScan),
    row('all documents, id order (one stream)', s),
    `  stream all: server RSS idle ${s.idleRssMiB} MiB, peak ${s.peakRssMiB} MiB (+${s.rssGrowthMiB}), ${s.samples} samples`,
    `  Count eq indexed: p50 ${q.count.p50Ms} ms, count ${q.count.count}, storage_requests max ${q.count.maxStorageRequests}` +
      (q.count.storageOperationsDelta !== undefined ? `, S3 ops delta ${q.count.storageOperationsDelta}` : ''),
  ];
}
