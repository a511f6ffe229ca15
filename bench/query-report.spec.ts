import type { QueryBenchResult, QueryTiming } from './query-bench.js';
import { formatQueryTable, queryVerdicts } from './query-report.js';

const timing = (lastP50Ms: number, scan: boolean): QueryTiming => ({
  runs: 3,
  firstP50Ms: lastP50Ms / 2,
  lastP50Ms,
  results: 100,
  scan,
  indexesUsed: scan ? [] : ['by_cat'],
});

function result(over: { ratio?: number; growth?: number; storageRequests?: number; delta?: number }): QueryBenchResult {
  return {
    docs: 100_000,
    loadConcurrency: 64,
    loadSeconds: 50,
    loadDocsPerSecond: 2000,
    equalityIndexed: timing(5, false),
    equalityScan: timing(5000, true),
    equalityRatio: over.ratio ?? 1000,
    orderedIndexed: timing(40, false),
    orderedScan: timing(6000, true),
    streamAll: {
      ...timing(9000, true),
      results: 100_000,
      idleRssMiB: 80,
      peakRssMiB: 80 + (over.growth ?? 10),
      rssGrowthMiB: over.growth ?? 10,
      samples: 90,
    },
    count: {
      runs: 20,
      p50Ms: 1.5,
      count: 100,
      maxStorageRequests: over.storageRequests ?? 0,
      ...(over.delta !== undefined ? { storageOperationsDelta: over.delta } : {}),
    },
  };
}

describe('query verdicts', () => {
  test('all targets met → every line PASS', () => {
    const v = queryVerdicts(result({ delta: 0 }));
    expect(v.map((x) => x.pass)).toEqual([true, true, true, true]);
  });

  test('each target can miss on its own', () => {
    expect(queryVerdicts(result({ ratio: 99.9 }))[0].pass).toBe(false);
    expect(queryVerdicts(result({ growth: 64.1 }))[1].pass).toBe(false);
    expect(queryVerdicts(result({ growth: 64 }))[1].pass).toBe(true);
    expect(queryVerdicts(result({ storageRequests: 1 }))[2].pass).toBe(false);
    expect(queryVerdicts(result({ delta: 3 }))[3].pass).toBe(false);
  });

  test('without metrics there is no S3-ops line', () => {
    expect(queryVerdicts(result({}))).toHaveLength(3);
  });

  test('the table names the plans and the figures', () => {
    const text = formatQueryTable(result({ delta: 0 })).join('\n');
    expect(text).toContain('100000 documents; load 2000 docs/s');
    expect(text).toContain('index by_cat');
    expect(text).toContain('peak 90 MiB (+10)');
    expect(text).toContain('S3 ops delta 0');
  });
});
